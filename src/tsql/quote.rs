//! Quoting for generated T-SQL: identifiers like QUOTENAME, strings as N'…'.

/// Why a name cannot be used as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier is longer than 128 characters (sysname)")]
    TooLong,
    #[error("identifier contains a NUL character")]
    Nul,
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

/// A Unicode string literal with every `'` doubled. NUL is dropped: no
/// path, URL or time chainwatch writes can contain it legitimately.
pub fn quote_string(text: &str) -> String {
    format!("N'{}'", text.replace('\0', "").replace('\'', "''"))
}

/// Makes text safe inside a `--` comment: no line breaks.
pub fn comment_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
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
    }
}
