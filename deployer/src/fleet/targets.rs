//! The list of databases a fleet command runs on: one URL or `name=URL` a line, `#` comments.

use std::collections::HashMap;

use anyhow::{Context, bail};

use dbconn::url::{parse, redact};

/// One database of the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// How the summary names it: the name given, else `host:port/database` of its URL.
    pub name: String,
    /// Its URL, password included: never print it, print [`Target::shown`].
    pub url: String,
}

impl Target {
    /// The URL with its password redacted.
    pub fn shown(&self) -> String {
        redact(&self.url)
    }

    /// The name as a file name (for per-target backup directories).
    pub fn file_name(&self) -> String {
        self.name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// Reads the targets from `source`: a file's path or, when it holds `://`, the list itself
/// (as `MIGRATION_TARGETS` may, in a pod). The list's text is never shown in an error: it
/// holds passwords.
pub fn load(source: &str) -> anyhow::Result<Vec<Target>> {
    if source.contains("://") {
        return parse_list(source).context("MIGRATION_TARGETS");
    }
    let text = std::fs::read_to_string(source)
        .with_context(|| format!("read the targets file {source}"))?;
    parse_list(&text).with_context(|| format!("targets file {source}"))
}

/// Parses a list of targets: one URL or `name=URL` a line (or separated by spaces), blank
/// lines and `#` comments ignored. Names are unique; an empty list is refused.
pub fn parse_list(text: &str) -> anyhow::Result<Vec<Target>> {
    let mut targets = Vec::new();
    let mut lines_of: HashMap<String, usize> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        for entry in entries(line) {
            let target = parse_entry(entry).with_context(|| format!("line {number}"))?;
            if let Some(first) = lines_of.insert(target.name.clone(), number) {
                bail!(
                    "line {number}: target `{}` is also on line {first}: give each target a \
                     name of its own (name=URL)",
                    target.name
                );
            }
            targets.push(target);
        }
    }
    if targets.is_empty() {
        bail!("no targets: expected one URL or name=URL a line");
    }
    Ok(targets)
}

/// The entries of one line, its comment left out. A `#` starts a comment at the start of the
/// line or after a space; one inside a URL (a password's) is left alone.
fn entries(line: &str) -> std::str::SplitWhitespace<'_> {
    let kept = if line.trim_start().starts_with('#') {
        ""
    } else {
        let comment = line.find(" #").or_else(|| line.find("\t#"));
        comment.map_or(line, |at| &line[..at])
    };
    kept.split_whitespace()
}

/// One `URL` or `name=URL`.
fn parse_entry(entry: &str) -> anyhow::Result<Target> {
    let scheme = entry.find("://");
    let named = entry.find('=').filter(|eq| scheme.is_none_or(|s| *eq < s));
    let (name, url) = match named {
        Some(eq) => (Some(&entry[..eq]), &entry[eq + 1..]),
        None => (None, entry),
    };
    let parsed = parse(url)?;
    let name = match name {
        Some(name) if valid_name(name) => name.to_owned(),
        Some(name) => bail!("target name `{name}` may hold only letters, digits, `.`, `_` and `-`"),
        None => {
            let host = parsed.host_str().unwrap_or_default();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{host}{port}{}", parsed.path())
        }
    };
    Ok(Target {
        name,
        url: url.to_owned(),
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_urls_and_comments() {
        let text = "# the fleet\n\
                    eu-1=postgres://app:s3cret@eu.example.com/agents?sslmode=require\n\
                    \n\
                    postgres://app:p%23ss@us.example.com:6432/agents  # the US one\n";
        let targets = parse_list(text).unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].name, "eu-1");
        assert_eq!(
            targets[0].url,
            "postgres://app:s3cret@eu.example.com/agents?sslmode=require"
        );
        assert_eq!(targets[1].name, "us.example.com:6432/agents");
        assert!(!targets[0].shown().contains("s3cret"));
    }

    #[test]
    fn the_list_may_come_on_one_line_as_an_environment_variable_does() {
        let targets = parse_list("a=postgres://h/a b=postgres://h/b").unwrap();
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn errors_name_the_line_and_never_the_password() {
        let err = format!(
            "{:#}",
            parse_list("a=postgres://h/a\na=postgres://u:hunter2@h/b").unwrap_err()
        );
        assert!(
            err.contains("line 2") && err.contains("also on line 1"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            parse_list("postgres://u:hunter2@h:notaport/b").unwrap_err()
        );
        assert!(err.starts_with("line 1: malformed database URL"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = format!("{:#}", parse_list("# nothing\n").unwrap_err());
        assert!(err.starts_with("no targets"), "{err}");
        assert!(parse_list("eu 1=postgres://h/a").is_err());
        assert!(parse_list("e/u=postgres://h/a").is_err());
    }

    #[test]
    fn file_names_are_safe() {
        let target = parse_list("postgres://h:5432/agents").unwrap().remove(0);
        assert_eq!(target.file_name(), "h_5432_agents");
    }
}
