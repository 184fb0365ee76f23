//! `--ascii`: the last pass over a drawn frame, so nothing non-ASCII
//! reaches a terminal or font that cannot show it — separators, arrows
//! and marks included, not only the borders and timeline glyphs drawn
//! ASCII in the first place. Letters and digits of other scripts (names
//! in the estate) are kept: they are data, and `?` in their place would
//! make two databases look alike.

use ratatui::buffer::Buffer;

/// The ASCII stand-in for a symbol: one for one in width.
fn stand_in(symbol: &str) -> Option<&'static str> {
    Some(match symbol {
        "›" | "→" | "▸" | "▶" | "»" => ">",
        "‹" | "←" | "◂" | "◀" | "«" => "<",
        "↑" | "▲" | "△" => "^",
        "↓" | "▼" | "▽" => "v",
        "—" | "–" | "─" | "━" | "═" | "…" => "-",
        "│" | "┃" | "║" | "▏" => "|",
        "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" | "╭" | "╮" | "╰" | "╯" => {
            "+"
        }
        "█" | "■" => "#",
        "▒" | "▓" => "=",
        "░" | "·" | "•" => ".",
        "✖" | "✗" | "×" => "x",
        "✓" | "✔" => "v",
        "◆" | "◇" | "★" => "*",
        "⑂" => "Y",
        "▯" | "○" | "●" => "o",
        "“" | "”" => "\"",
        "‘" | "’" => "'",
        _ => return None,
    })
}

/// Replaces every non-ASCII symbol of the buffer that is not a letter or
/// digit by its stand-in, or `?` when it has none.
pub fn asciify(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() || symbol.chars().all(char::is_alphanumeric) {
            continue;
        }
        let plain = stand_in(symbol).unwrap_or("?");
        cell.set_symbol(plain);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn symbols_become_ascii_and_names_stay() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 20, 1));
        buf.set_string(0, 0, "a › b — Ünï ✖ ☃", Style::default());
        asciify(&mut buf);
        let line: String = buf.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(line.trim_end(), "a > b - Ünï x ?");
    }
}
