//! Quoting for generated T-SQL: identifiers like QUOTENAME, strings as N'…',
//! and what a script meant for command-line sqlcmd must not contain.

/// Why a name cannot be used as an identifier or literal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier is longer than 128 characters (sysname)")]
    TooLong,
    #[error("contains a NUL character, which a T-SQL name or literal cannot carry")]
    Nul,
    #[error("contains a line break: command-line sqlcmd would read the next line as its own (GO, !!, :r, EXIT), so chainwatch writes no script with it (the console runs the same script); restore under another name (--as) or write this statement by hand")]
    LineBreak,
    #[error("contains \"$(\", which sqlcmd expands as a variable even inside a literal, so chainwatch writes no script with it (the console runs the same script); restore under another name (--as) or write this statement by hand")]
    SqlcmdVariable,
}

/// Brackets an identifier and doubles every `]`, as QUOTENAME does.
/// Rejects what QUOTENAME would turn into NULL (over 128 characters) and NUL.
pub fn quote_ident(name: &str) -> Result<String, QuoteError> {
    if name.is_empty() {
        return Err(QuoteError::Empty);
    }
    if name.chars().count() > 128 {
        return Err(QuoteError::TooLong);
    }
    if name.contains('\0') {
        return Err(QuoteError::Nul);
    }
    Ok(format!("[{}]", name.replace(']', "]]")))
}

/// A Unicode string literal with every `'` doubled. A NUL cannot be written
/// inside a literal: it becomes `NCHAR(0)` joined to the pieces, an
/// expression that fails to parse where only a literal may stand (never a
/// changed statement). Scripts use [`try_quote_string`], which refuses it.
pub fn quote_string(text: &str) -> String {
    if !text.contains('\0') {
        return format!("N'{}'", text.replace('\'', "''"));
    }
    let pieces: Vec<String> = text
        .split('\0')
        .map(|p| format!("N'{}'", p.replace('\'', "''")))
        .collect();
    format!("({})", pieces.join(" + NCHAR(0) + "))
}

/// [`quote_string`] for statements that need a plain literal: refuses NUL.
pub fn try_quote_string(text: &str) -> Result<String, QuoteError> {
    if text.contains('\0') {
        return Err(QuoteError::Nul);
    }
    Ok(quote_string(text))
}

/// Refuses what command-line sqlcmd would act on inside a script meant for
/// `sqlcmd -i`: sqlcmd does not know T-SQL quoting, so a line break inside a
/// name starts a sqlcmd line (`GO`, `!! cmd`, `:r file`, `EXIT`), and
/// `$(name)` is substituted even inside a literal or a comment.
pub fn sqlcmd_safe(text: &str) -> Result<&str, QuoteError> {
    if text.contains([
        '\n', '\r', '\u{0b}', '\u{0c}', '\u{85}', '\u{2028}', '\u{2029}',
    ]) {
        return Err(QuoteError::LineBreak);
    }
    if text.contains("$(") {
        return Err(QuoteError::SqlcmdVariable);
    }
    Ok(text)
}

/// [`quote_ident`] of a name that goes into a sqlcmd script.
pub fn script_ident(name: &str) -> Result<String, QuoteError> {
    quote_ident(sqlcmd_safe(name)?)
}

/// [`try_quote_string`] of text that goes into a sqlcmd script.
pub fn script_string(text: &str) -> Result<String, QuoteError> {
    try_quote_string(sqlcmd_safe(text)?)
}

/// Makes text safe inside a `--` comment: no line breaks, and no `$(`
/// (sqlcmd substitutes variables in comments too).
pub fn comment_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .replace("$(", "$ (")
}

/// Text for a `/* ... */` comment: no `*/` (which would end it early), no
/// `/*` (T-SQL comments nest), and [`comment_safe`].
pub fn block_comment_safe(text: &str) -> String {
    let mut s = comment_safe(text);
    while s.contains("*/") || s.contains("/*") {
        s = s.replace("*/", "* /").replace("/*", "/ *");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_double_closing_brackets() {
        assert_eq!(quote_ident("abc[]def").unwrap(), "[abc[]]def]");
        assert_eq!(
            quote_ident("a]];DROP DATABASE x;--").unwrap(),
            "[a]]]];DROP DATABASE x;--]"
        );
        assert_eq!(quote_ident(&"x".repeat(128)).unwrap().len(), 130);
        assert_eq!(quote_ident(&"x".repeat(129)), Err(QuoteError::TooLong));
        assert_eq!(quote_ident(""), Err(QuoteError::Empty));
        assert_eq!(quote_ident("a\0b"), Err(QuoteError::Nul));
    }

    #[test]
    fn strings_double_quotes() {
        assert_eq!(quote_string("O'Brien"), "N'O''Brien'");
        assert_eq!(
            quote_string("'; DROP TABLE t; --"),
            "N'''; DROP TABLE t; --'"
        );
        assert_eq!(comment_safe("a\nb\r"), "a b ");
        assert_eq!(comment_safe("x$(PATH)"), "x$ (PATH)");
    }

    #[test]
    fn nul_is_never_dropped() {
        // It was dropped before: "a\0b" became N'ab', another name.
        assert_eq!(quote_string("a\0b"), "(N'a' + NCHAR(0) + N'b')");
        assert_eq!(quote_string("\0'"), "(N'' + NCHAR(0) + N'''')");
        assert_eq!(try_quote_string("a\0b"), Err(QuoteError::Nul));
        assert!(QuoteError::Nul.to_string().contains("NUL"));
    }

    #[test]
    fn sqlcmd_lines_and_variables_are_refused() {
        assert_eq!(script_ident("a\nGO\n"), Err(QuoteError::LineBreak));
        assert_eq!(
            script_string("x\r\n!! rm -rf /"),
            Err(QuoteError::LineBreak)
        );
        assert_eq!(
            script_string("$(SQLCMDPASSWORD)"),
            Err(QuoteError::SqlcmdVariable)
        );
        assert_eq!(
            script_string(r"\\fs01\backup$\a.bak").unwrap(),
            r"N'\\fs01\backup$\a.bak'"
        );
        assert_eq!(script_ident("O'Brien]").unwrap(), "[O'Brien]]]");
    }

    #[test]
    fn block_comments_cannot_be_closed_or_nested() {
        for hostile in ["*/ DROP DATABASE x; /*", "**//", "/*/", "a*/*/b"] {
            let c = block_comment_safe(hostile);
            assert!(!c.contains("*/") && !c.contains("/*"), "{hostile} -> {c}");
        }
    }
}
