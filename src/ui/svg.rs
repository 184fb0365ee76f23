//! A ratatui buffer as an SVG picture, for the README screenshots.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const FOREGROUND: &str = "#d0d0d0";
const BACKGROUND: &str = "#1c1c1c";

/// One colour of the xterm-like palette used for pictures.
fn hex(color: Color, default: &'static str) -> String {
    let named = match color {
        Color::Reset => default,
        Color::Black => "#000000",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#b0b0b0",
        Color::DarkGray => "#666666",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#e5e5e5",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => return indexed(i),
    };
    named.to_string()
}

/// The 256-colour cube and grey ramp.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => hex(
            [
                Color::Black,
                Color::Red,
                Color::Green,
                Color::Yellow,
                Color::Blue,
                Color::Magenta,
                Color::Cyan,
                Color::Gray,
                Color::DarkGray,
                Color::LightRed,
                Color::LightGreen,
                Color::LightYellow,
                Color::LightBlue,
                Color::LightMagenta,
                Color::LightCyan,
                Color::White,
            ][usize::from(i)],
            FOREGROUND,
        ),
        16..=231 => {
            let v = i - 16;
            let level = |n: u8| if n == 0 { 0 } else { 55 + n * 40 };
            format!(
                "#{:02x}{:02x}{:02x}",
                level(v / 36),
                level((v / 6) % 6),
                level(v % 6)
            )
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            format!("#{g:02x}{g:02x}{g:02x}")
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders every cell: backgrounds as rectangles, text in runs of one style,
/// each run stretched to its cells so columns line up in any font.
pub fn buffer_to_svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let (w, h) = (
        f32::from(area.width) * CELL_W,
        f32::from(area.height) * CELL_H,
    );
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>\n\
         <g font-family=\"DejaVu Sans Mono, monospace\" font-size=\"14\">\n"
    );
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(area.x + x, area.y + y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, FOREGROUND), hex(cell.bg, BACKGROUND));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let bold = cell.modifier.contains(Modifier::BOLD);
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buffer[(area.x + x, area.y + y)];
                if c.fg != cell.fg || c.bg != cell.bg || c.modifier != cell.modifier {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let cells = f32::from(x - start);
            let px = f32::from(start) * CELL_W;
            let py = f32::from(y) * CELL_H;
            if bg != BACKGROUND {
                out.push_str(&format!(
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{}\" height=\"{CELL_H}\" fill=\"{bg}\"/>\n",
                    cells * CELL_W
                ));
            }
            if !text.trim().is_empty() {
                out.push_str(&format!(
                    "<text x=\"{px}\" y=\"{}\" fill=\"{fg}\"{} xml:space=\"preserve\" textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>\n",
                    py + CELL_H - 4.0,
                    if bold { " font-weight=\"bold\"" } else { "" },
                    cells * CELL_W,
                    escape(&text)
                ));
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}
