//! A small SQL scanner: statements as token lists, with comments, string literals and
//! dollar-quoted bodies (function definitions) kept out of the way of the rules.

/// A token: a keyword or identifier, or a punctuation character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An unquoted word, upper-cased for keyword matching, with its PostgreSQL identifier
    /// folding (lower case) kept beside it.
    Word { upper: String, ident: String },
    /// A `"quoted"` identifier, case kept.
    Quoted(String),
    /// A string literal or a dollar-quoted body; its content never matters to the rules.
    Literal,
    /// Any other character: `(`, `)`, `,`, `.`, `;`, `=` ...
    Punct(char),
}

impl Token {
    /// Whether this is the keyword `kw` (given in upper case).
    pub fn is(&self, kw: &str) -> bool {
        matches!(self, Token::Word { upper, .. } if upper == kw)
    }

    /// The identifier this token names, if it can name one.
    pub fn ident(&self) -> Option<&str> {
        match self {
            Token::Word { ident, .. } => Some(ident),
            Token::Quoted(name) => Some(name),
            _ => None,
        }
    }
}

/// Splits `sql` into statements (at `;` outside literals), each a list of tokens; empty
/// statements are left out.
pub fn statements(sql: &str) -> Vec<Vec<Token>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' && chars.get(i + 1) == Some(&'\'') {
                    i += 2;
                } else if chars[i] == '\'' {
                    break;
                } else {
                    i += 1;
                }
            }
            i += 1;
            current.push(Token::Literal);
        } else if c == '"' {
            let mut name = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' && chars.get(i + 1) == Some(&'"') {
                    name.push('"');
                    i += 2;
                } else if chars[i] == '"' {
                    break;
                } else {
                    name.push(chars[i]);
                    i += 1;
                }
            }
            i += 1;
            current.push(Token::Quoted(name));
        } else if c == '$'
            && let Some(tag_len) = dollar_tag(&chars[i..])
        {
            let tag: String = chars[i..i + tag_len].iter().collect();
            i += tag_len;
            let tag: Vec<char> = tag.chars().collect();
            while i < chars.len() && !chars[i..].starts_with(&tag) {
                i += 1;
            }
            i += tag.len();
            current.push(Token::Literal);
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            current.push(Token::Word {
                upper: word.to_uppercase(),
                ident: word.to_lowercase(),
            });
        } else if c == ';' {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            i += 1;
        } else {
            current.push(Token::Punct(c));
            i += 1;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The length of a dollar-quote tag (`$$`, `$body$`) at the start of `chars`.
fn dollar_tag(chars: &[char]) -> Option<usize> {
    let end = chars[1..]
        .iter()
        .position(|c| !(c.is_alphanumeric() || *c == '_'))?
        + 1;
    (chars.get(end) == Some(&'$')).then_some(end + 1)
}

/// A possibly qualified name starting at `tokens[at]`: `schema.table` with `public.`
/// dropped, and the index after it.
pub fn name_at(tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let first = tokens.get(at)?.ident()?.to_owned();
    if tokens.get(at + 1) == Some(&Token::Punct('.'))
        && let Some(second) = tokens.get(at + 2).and_then(Token::ident)
    {
        let name = if first == "public" {
            second.to_owned()
        } else {
            format!("{first}.{second}")
        };
        return Some((name, at + 3));
    }
    Some((first, at + 1))
}

/// Splits `tokens` at commas outside parentheses (the actions of one `ALTER TABLE`).
pub fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_bodies_comments_and_strings_are_opaque() {
        let sql = "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DROP TABLE x; END $$ LANGUAGE plpgsql;\n\
                   -- DROP TABLE y;\nSELECT 'DROP TABLE z; it''s' /* ; */;";
        let stmts = statements(sql);
        assert_eq!(stmts.len(), 2);
        assert!(!stmts.iter().flatten().any(|t| t.is("DROP")));
    }

    #[test]
    fn names_are_folded_like_postgresql() {
        let stmts = statements(r#"ALTER TABLE Public."userId" ADD x int; ALTER TABLE health.Foo"#);
        assert_eq!(name_at(&stmts[0], 2).unwrap().0, "userId");
        assert_eq!(name_at(&stmts[1], 2).unwrap().0, "health.foo");
    }
}
