//! A small T-SQL tokenizer for the statements chainwatch writes (RESTORE,
//! EXEC, USE). sqlparser cannot parse RESTORE, so the tests — and the
//! executor, before it sends a batch — read our scripts back with this:
//! every bracketed identifier and N'…' literal comes back unescaped, and a
//! batch must be exactly one statement.

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A keyword or bare name (upper-cased), e.g. `RESTORE`, `sys.sp_x` parts.
    Word(String),
    /// `[name]` with `]]` undone.
    Ident(String),
    /// `N'text'` or `'text'` with `''` undone.
    Str(String),
    /// `@name`.
    Var(String),
    Number(String),
    /// Any other single character: `=`, `,`, `;`, `.`, `(`, `)`.
    Punct(char),
}

/// Why text is not a script chainwatch could have written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexError {
    #[error("unterminated bracketed identifier at byte {0}")]
    UnterminatedIdent(usize),
    #[error("unterminated string literal at byte {0}")]
    UnterminatedString(usize),
    #[error("unterminated block comment at byte {0}")]
    UnterminatedComment(usize),
}

/// Tokens of `sql`; comments and whitespace are dropped.
pub fn tokens(sql: &str) -> Result<Vec<Token>, LexError> {
    let chars: Vec<(usize, char)> = sql.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map(|c| c.1);
    while let Some(c) = at(i) {
        let start = chars[i].0;
        match c {
            c if c.is_whitespace() => i += 1,
            '-' if at(i + 1) == Some('-') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                i += 2;
                loop {
                    match at(i) {
                        None => return Err(LexError::UnterminatedComment(start)),
                        Some('*') if at(i + 1) == Some('/') => {
                            i += 2;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            '[' => {
                i += 1;
                let mut text = String::new();
                loop {
                    match at(i) {
                        None => return Err(LexError::UnterminatedIdent(start)),
                        Some(']') if at(i + 1) == Some(']') => {
                            text.push(']');
                            i += 2;
                        }
                        Some(']') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            text.push(c);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Ident(text));
            }
            'N' | 'n' if at(i + 1) == Some('\'') => {
                i += 1;
                let (text, next) = string(&chars, i).ok_or(LexError::UnterminatedString(start))?;
                out.push(Token::Str(text));
                i = next;
            }
            '\'' => {
                let (text, next) = string(&chars, i).ok_or(LexError::UnterminatedString(start))?;
                out.push(Token::Str(text));
                i = next;
            }
            '@' => {
                i += 1;
                let mut name = String::new();
                while let Some(c) = at(i).filter(|c| c.is_alphanumeric() || *c == '_') {
                    name.push(c);
                    i += 1;
                }
                out.push(Token::Var(name.to_lowercase()));
            }
            c if c.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(c) = at(i).filter(|c| c.is_ascii_digit()) {
                    n.push(c);
                    i += 1;
                }
                out.push(Token::Number(n));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut w = String::new();
                while let Some(c) = at(i).filter(|c| c.is_alphanumeric() || *c == '_') {
                    w.push(c);
                    i += 1;
                }
                out.push(Token::Word(w.to_uppercase()));
            }
            c => {
                out.push(Token::Punct(c));
                i += 1;
            }
        }
    }
    Ok(out)
}

/// A quoted string starting at the `'` at `i`: its text and the index after it.
fn string(chars: &[(usize, char)], mut i: usize) -> Option<(String, usize)> {
    i += 1;
    let mut text = String::new();
    loop {
        match chars.get(i)?.1 {
            '\'' if chars.get(i + 1).map(|c| c.1) == Some('\'') => {
                text.push('\'');
                i += 2;
            }
            '\'' => return Some((text, i + 1)),
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
}

/// Splits tokens into statements at `;` (empty statements dropped).
pub fn statements(tokens: &[Token]) -> Vec<&[Token]> {
    tokens
        .split(|t| *t == Token::Punct(';'))
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_quoted_names_and_strings() {
        let t = tokens("RESTORE LOG [a]]b] FROM URL = N'it''s' -- x;\n /* ; */ WITH STATS = 10;")
            .unwrap();
        assert_eq!(
            t,
            vec![
                Token::Word("RESTORE".into()),
                Token::Word("LOG".into()),
                Token::Ident("a]b".into()),
                Token::Word("FROM".into()),
                Token::Word("URL".into()),
                Token::Punct('='),
                Token::Str("it's".into()),
                Token::Word("WITH".into()),
                Token::Word("STATS".into()),
                Token::Punct('='),
                Token::Number("10".into()),
                Token::Punct(';'),
            ]
        );
        assert_eq!(statements(&t).len(), 1);
    }

    #[test]
    fn refuses_unterminated_text() {
        assert!(matches!(
            tokens("[abc"),
            Err(LexError::UnterminatedIdent(0))
        ));
        assert!(matches!(
            tokens("x N'abc"),
            Err(LexError::UnterminatedString(2))
        ));
        assert!(matches!(
            tokens("/* x"),
            Err(LexError::UnterminatedComment(0))
        ));
    }
}
