//! `ANALYZE` after a deploy, on the existing tables the applied migrations touched.
//!
//! A new or rewritten column, a new expression index or a data migration leaves a table's
//! planner statistics stale until autovacuum gets to it, which on a quiet table can take
//! long; until then the planner guesses. Tables the same deploy created are left alone: they
//! are empty, and a table never analyzed is one the planner deliberately assumes to be at
//! least ten pages, "to avoid assuming a newly-created table is really small" (plancat.c);
//! analyzing it empty would undo that until autovacuum sees its first rows.
//!
//! The tables come from the SQL the migrations sent (rendered once, as for their checksums),
//! so the deployer needs no knowledge of the schema.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// At most this many table names in the line that reports the analyze.
const NAMED: usize = 8;

/// The tables some statements touched, as written there (quoted or not, schema-qualified or
/// not), first mention first, each once.
#[derive(Debug, Default, PartialEq)]
pub struct Touched {
    /// Tables altered, indexed or written.
    pub changed: Vec<String>,
    /// Tables created.
    pub created: Vec<String>,
}

/// The tables `statements` create, alter, index or write.
pub fn touched<'a>(statements: impl IntoIterator<Item = &'a String>) -> Touched {
    let mut touched = Touched::default();
    for sql in statements {
        for statement in split(&tokens(sql)) {
            let Some((name, created)) = target(statement) else {
                continue;
            };
            let list = match created {
                true => &mut touched.created,
                false => &mut touched.changed,
            };
            if !list.contains(&name) {
                list.push(name);
            }
        }
    }
    touched
}

/// Analyzes the tables that were changed but not created, one statement each, and says so.
/// A table that cannot be analyzed (a lock held past the session's `lock_timeout`) is only
/// reported: the migrations are committed, and autovacuum will analyze it later.
pub async fn run(session: &DatabaseConnection, touched: &Touched) -> anyhow::Result<()> {
    if touched.changed.is_empty() {
        return Ok(());
    }
    // Names are compared once resolved, since `"users"`, `users` and `public.users` are one.
    let created = existing(session, &touched.created).await?;
    let existing: Vec<String> = existing(session, &touched.changed)
        .await?
        .into_iter()
        .filter(|table| !created.contains(table))
        .collect();
    let mut done = Vec::new();
    for table in existing {
        match session
            .execute_unprepared(&format!("ANALYZE {table}"))
            .await
        {
            Ok(_) => done.push(table),
            Err(err) => tracing::warn!(
                "could not analyze {table} ({err}): run ANALYZE {table} when it is free; \
                 autovacuum will get to it too"
            ),
        }
    }
    if !done.is_empty() {
        let mut named = done
            .iter()
            .take(NAMED)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if done.len() > NAMED {
            named.push_str(&format!(" and {} more", done.len() - NAMED));
        }
        tracing::info!(
            "analyzed {} table(s) the migrations touched, so the planner has their \
             statistics at once: {named}",
            done.len()
        );
    }
    Ok(())
}

/// The names that are tables now (a migration may have dropped or renamed one), as
/// `regclass` prints them, so they are quoted where they need to be.
async fn existing(session: &DatabaseConnection, tables: &[String]) -> anyhow::Result<Vec<String>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let literals: Vec<String> = tables
        .iter()
        .map(|t| format!("'{}'", t.replace('\'', "''")))
        .collect();
    let sql = format!(
        "SELECT c.oid::regclass::text FROM unnest(ARRAY[{}]::text[]) WITH ORDINALITY AS t(name, n) \
         JOIN pg_class c ON c.oid = to_regclass(t.name) WHERE c.relkind IN ('r', 'p', 'm') \
         GROUP BY c.oid ORDER BY min(t.n)",
        literals.join(", ")
    );
    let rows = session
        .query_all_raw(Statement::from_string(session.get_database_backend(), sql))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

/// A token of SQL: a word (keywords upper-cased), a quoted identifier as written, or one
/// character of punctuation. String literals, dollar-quoted bodies and comments are dropped.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Punct(char),
}

fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rest = &chars[i..];
        if c.is_whitespace() {
            i += 1;
        } else if rest.starts_with(&['-', '-']) {
            i += rest.iter().position(|&c| c == '\n').unwrap_or(rest.len());
        } else if rest.starts_with(&['/', '*']) {
            i += find(rest, &['*', '/']).map_or(rest.len(), |p| p + 2);
        } else if c == '\'' || c == '"' {
            let len = quoted_len(rest, c);
            if c == '"' {
                out.push(Token::Quoted(rest[..len].iter().collect()));
            }
            i += len;
        } else if c == '$' {
            i += dollar_len(rest).unwrap_or(1);
        } else if c.is_alphanumeric() || c == '_' {
            let len = rest
                .iter()
                .position(|&c| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(rest.len());
            out.push(Token::Word(rest[..len].iter().collect()));
            i += len;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

fn find(haystack: &[char], needle: &[char]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The length of a quoted string or identifier starting at `text[0]`, doubled quotes inside.
fn quoted_len(text: &[char], quote: char) -> usize {
    let mut i = 1;
    while i < text.len() {
        if text[i] == quote {
            if text.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    text.len()
}

/// The length of a dollar-quoted body (`$$ ... $$`, `$tag$ ... $tag$`), if one starts here.
fn dollar_len(text: &[char]) -> Option<usize> {
    let tag_end = text[1..]
        .iter()
        .position(|&c| !(c.is_alphanumeric() || c == '_'))?
        + 1;
    if text[tag_end] != '$' {
        return None;
    }
    let tag = &text[..=tag_end];
    let body = &text[tag.len()..];
    Some(find(body, tag).map_or(text.len(), |p| tag.len() + p + tag.len()))
}

/// Statements of a token stream, split at top-level semicolons.
fn split(tokens: &[Token]) -> impl Iterator<Item = &[Token]> {
    tokens
        .split(|t| *t == Token::Punct(';'))
        .filter(|s| !s.is_empty())
}

/// The table a statement creates (`true`), or alters, indexes or writes (`false`), if any.
fn target(statement: &[Token]) -> Option<(String, bool)> {
    let words: Vec<String> = statement
        .iter()
        .map(|t| match t {
            Token::Word(w) => w.to_uppercase(),
            _ => String::new(),
        })
        .collect();
    let at = |i: usize| words.get(i).map_or("", String::as_str);
    let skip = |mut i: usize, optional: &[&str]| {
        while optional.contains(&at(i)) {
            i += 1;
        }
        i
    };
    let start = match (at(0), at(1)) {
        ("CREATE", _) => {
            let i = skip(1, &["UNLOGGED", "TEMP", "TEMPORARY", "UNIQUE"]);
            match at(i) {
                "TABLE" => {
                    let at = skip(i + 1, &["IF", "NOT", "EXISTS"]);
                    return name(&statement[at.min(statement.len())..]).map(|n| (n, true));
                }
                "INDEX" => {
                    let on = words.iter().position(|w| w == "ON")?;
                    skip(on + 1, &["ONLY"])
                }
                _ => return None,
            }
        }
        ("ALTER", "TABLE") => skip(2, &["IF", "EXISTS", "ONLY"]),
        ("INSERT", "INTO") | ("DELETE", "FROM") => skip(2, &["ONLY"]),
        ("UPDATE", _) | ("COPY", _) => skip(1, &["ONLY"]),
        ("TRUNCATE", _) => skip(1, &["TABLE", "ONLY"]),
        _ => return None,
    };
    name(&statement[start.min(statement.len())..]).map(|n| (n, false))
}

/// A possibly schema-qualified name at the start of `tokens`, as written.
fn name(tokens: &[Token]) -> Option<String> {
    let part = |t: &Token| match t {
        Token::Word(w) => Some(w.clone()),
        Token::Quoted(q) => Some(q.clone()),
        Token::Punct(_) => None,
    };
    let first = part(tokens.first()?)?;
    match (tokens.get(1), tokens.get(2).and_then(part)) {
        (Some(Token::Punct('.')), Some(second)) => Some(format!("{first}.{second}")),
        _ => Some(first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(statements: &[&str]) -> Touched {
        let owned: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
        touched(&owned)
    }

    #[test]
    fn creates_alters_indexes_and_writes_name_their_tables() {
        let found = of(&[
            r#"CREATE TABLE IF NOT EXISTS "users" ("id" uuid NOT NULL)"#,
            r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "x" ON ONLY "health"."meds" ("a")"#,
            "ALTER TABLE ONLY finance.budgets ADD COLUMN x int",
            r#"INSERT INTO "tags" ("name") VALUES ('CREATE TABLE nope')"#,
            "update agents set x = 1; DELETE FROM messages WHERE true",
            r#"ALTER TABLE "users" ADD COLUMN "y" int"#,
        ]);
        assert_eq!(found.created, [r#""users""#]);
        assert_eq!(
            found.changed,
            [
                r#""health"."meds""#,
                "finance.budgets",
                r#""tags""#,
                "agents",
                "messages",
                r#""users""#,
            ]
        );
    }

    #[test]
    fn bodies_comments_and_other_statements_name_nothing() {
        let found = of(&[
            "CREATE EXTENSION IF NOT EXISTS vector",
            "CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN UPDATE t SET a = 1; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            r#"CREATE TRIGGER "t" BEFORE UPDATE ON "users" FOR EACH ROW EXECUTE FUNCTION f()"#,
            "-- ALTER TABLE commented\nCREATE TYPE e AS ENUM ('a')",
            r#"DO $body$ BEGIN INSERT INTO x VALUES (1); END $body$"#,
            "COMMENT ON TABLE users IS 'x'",
        ]);
        assert_eq!(found, Touched::default());
    }
}
