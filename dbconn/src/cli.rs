//! Command-line errors as one line naming the flag (or variable) and a good value, exit code 1.
//!
//! clap prints a bad flag as several lines with exit code 2; every binary here promises one
//! line and exit code 1, before anything is touched. [`parse`] keeps clap's help and version
//! output and rewrites every other error; the value parsers below give the reasons it shows.

use std::ffi::{OsStr, OsString};
use std::str::FromStr;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command, Parser};

/// Parses the process's arguments (and the variables its flags read) as `P`. A bad one ends
/// the process with one line on stderr and exit code 1; `--help` and `--version` print as
/// clap prints them.
pub fn parse<P: Parser>() -> P {
    let args: Vec<OsString> = std::env::args_os().collect();
    match try_parse::<P>(&args) {
        Ok(parsed) => parsed,
        Err(Rejected::Clap(err)) => err.exit(),
        Err(Rejected::Line(line)) => {
            eprintln!("error: {line}");
            std::process::exit(1);
        }
    }
}

/// Why [`try_parse`] produced no value.
#[derive(Debug)]
pub enum Rejected {
    /// Help or version: clap prints it.
    Clap(clap::Error),
    /// A bad flag or variable, as one line without the `error: ` prefix.
    Line(String),
}

/// [`parse`] without the exit: for tests, and callers that exit themselves.
pub fn try_parse<P: Parser>(args: &[OsString]) -> Result<P, Rejected> {
    let mut command = negative_values_allowed(P::command());
    let parsed = command
        .try_get_matches_from_mut(args)
        .and_then(|mut matches| P::from_arg_matches_mut(&mut matches));
    parsed.map_err(|err| match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Rejected::Clap(err),
        _ => Rejected::Line(one_line(&err, &command, args)),
    })
}

/// A duration such as `60s`, `1m30s` or `5m`.
pub fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|_| "expected a duration".to_string())
}

/// A duration of at least one second, for bounds that PostgreSQL counts in seconds.
pub fn duration_of_a_second_or_more(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        d if d >= Duration::from_secs(1) => Ok(d),
        _ => Err("expected a duration of at least 1s".to_string()),
    }
}

/// A whole number, zero or more, that fits `T`.
pub fn whole<T: FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| "expected a whole number".to_string())
}

/// `-1` after a flag is read as its (bad) value, not as an unknown flag `-1`, so the line
/// can name the flag it was given to.
fn negative_values_allowed(command: Command) -> Command {
    command
        .mut_args(|arg| {
            let takes_values = arg.get_action().takes_values();
            arg.allow_negative_numbers(takes_values)
        })
        .mut_subcommands(negative_values_allowed)
}

/// clap's error as one line: what was wrong, and a value that would do.
fn one_line(err: &clap::Error, command: &Command, args: &[OsString]) -> String {
    let text = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    let invalid = text(ContextKind::InvalidArg).unwrap_or_default();
    let arg = find_arg(command, args, &invalid);
    match err.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = text(ContextKind::InvalidValue).unwrap_or_default();
            let reason = match (err.kind(), text(ContextKind::ValidValue)) {
                (ErrorKind::InvalidValue, Some(valid)) => format!("expected one of {valid}"),
                _ => std::error::Error::source(err)
                    .map_or_else(|| "not accepted".to_string(), ToString::to_string),
            };
            match arg {
                Some(arg) => bad_value(arg, &value, &reason, args),
                None => format!("invalid value `{}` for {invalid}: {reason}", shown(&value)),
            }
        }
        ErrorKind::UnknownArgument => {
            let hint = text(ContextKind::SuggestedArg)
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            format!(
                "unknown flag `{}`{hint}: see {} --help",
                shown(&invalid),
                name(command)
            )
        }
        ErrorKind::InvalidSubcommand => {
            let sub = text(ContextKind::InvalidSubcommand).unwrap_or_default();
            let known: Vec<&str> = command
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .map(Command::get_name)
                .filter(|name| *name != "help")
                .collect();
            format!(
                "unknown command `{}`: expected one of {}",
                shown(&sub),
                known.join(", ")
            )
        }
        ErrorKind::MissingRequiredArgument => missing(command, args, &invalid),
        ErrorKind::ArgumentConflict => {
            let prior = text(ContextKind::PriorArg).unwrap_or_default();
            format!(
                "{} cannot be used with {}",
                flag_of(&invalid),
                flag_of(&prior)
            )
        }
        _ => first_line(err),
    }
}

/// `invalid value` for a flag, or for the variable it reads when that is where it came from.
fn bad_value(arg: &Arg, value: &str, reason: &str, args: &[OsString]) -> String {
    let flag = arg
        .get_long()
        .map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
    let from_env = arg.get_env().filter(|var| {
        std::env::var_os(var).is_some_and(|v| v == OsStr::new(value))
            && !args.iter().any(|a| {
                let a = a.to_string_lossy();
                a == flag || a.starts_with(&format!("{flag}="))
            })
    });
    let value = if arg.is_hide_env_values_set() {
        "***".to_string()
    } else {
        shown(value)
    };
    let example = example(arg);
    match from_env {
        Some(var) => {
            let var = var.to_string_lossy();
            let good = example.map_or_else(String::new, |e| format!(", e.g. {var}={e}"));
            format!("invalid value `{value}` in {var} ({flag}): {reason}{good}")
        }
        None => {
            let good = example.map_or_else(String::new, |e| format!(", e.g. {flag} {e}"));
            format!("invalid value `{value}` for {flag}: {reason}{good}")
        }
    }
}

/// The missing arguments, with the variable each may come from and an example.
fn missing(command: &Command, args: &[OsString], invalid: &str) -> String {
    let parts: Vec<String> = invalid
        .split(", ")
        .map(|shown_arg| match find_arg(command, args, shown_arg) {
            Some(arg) => {
                let flag = flag_of(shown_arg);
                let env = arg
                    .get_env()
                    .map(|v| format!(" (or {})", v.to_string_lossy()))
                    .unwrap_or_default();
                let good = example(arg)
                    .map(|e| format!(", e.g. {e}"))
                    .unwrap_or_default();
                format!("{flag}{env}{good}")
            }
            None => flag_of(shown_arg),
        })
        .collect();
    format!("missing {}", parts.join("; "))
}

/// A value that would be accepted: the default, a possible value, or one by the value's name.
fn example(arg: &Arg) -> Option<String> {
    if let Some(default) = arg.get_default_values().first() {
        return Some(default.to_string_lossy().into_owned());
    }
    if let Some(first) = arg.get_possible_values().first() {
        return Some(first.get_name().to_string());
    }
    let name = arg.get_value_names()?.first()?.to_string();
    let example = match name.as_str() {
        "DURATION" => "30s",
        "N" => "2",
        "DIR" => "/backups",
        "PATH" => "/usr/lib/postgresql/18/bin/pg_dump",
        "URL" | "DATABASE_URL" => "postgres://USER:PASSWORD@HOST:PORT/DATABASE",
        "VERSION" => "m20261121_000001_create_extensions_and_enums",
        _ => return None,
    };
    Some(example.to_string())
}

/// The argument clap shows as `--flag <VALUE>`, `-f` or `<VALUE>`: in the subcommand `args`
/// name (`--num` of `down`, not of `up`), else in the commands above it, else anywhere.
fn find_arg<'a>(command: &'a Command, args: &[OsString], shown_arg: &str) -> Option<&'a Arg> {
    let token = shown_arg.split([' ', '=']).next().unwrap_or_default();
    let matches = |arg: &&Arg| {
        if let Some(long) = token.strip_prefix("--") {
            arg.get_long() == Some(long)
        } else if let Some(short) = token.strip_prefix('-') {
            arg.get_short().is_some_and(|s| short == s.to_string())
        } else {
            let name = token.trim_start_matches('<').trim_end_matches('>');
            arg.get_value_names()
                .is_some_and(|names| names.iter().any(|n| n.as_str() == name))
        }
    };
    let mut path = vec![command];
    for arg in args.iter().skip(1) {
        let current = path[path.len() - 1];
        if let Some(sub) = current.find_subcommand(arg) {
            path.push(sub);
        }
    }
    path.iter()
        .rev()
        .find_map(|c| c.get_arguments().find(matches))
        .or_else(|| anywhere(command, &matches))
}

fn anywhere<'a>(command: &'a Command, matches: &impl Fn(&&Arg) -> bool) -> Option<&'a Arg> {
    command
        .get_arguments()
        .find(matches)
        .or_else(|| command.get_subcommands().find_map(|c| anywhere(c, matches)))
}

/// `--flag` of clap's `--flag <VALUE>`.
fn flag_of(shown_arg: &str) -> String {
    shown_arg.split(' ').next().unwrap_or(shown_arg).to_string()
}

/// The command's own name (`cargo xtask`, not the `xtask` of its file).
fn name(command: &Command) -> String {
    command.get_name().to_string()
}

/// A value as typed, with control characters escaped so the line stays one line.
fn shown(value: &str) -> String {
    value.escape_debug().to_string()
}

/// clap's own message, first line only, without its `error: ` prefix.
fn first_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, Subcommand};

    #[derive(Parser, Debug)]
    #[command(name = "tool")]
    struct Tool {
        #[arg(
            long,
            env = "TOOL_TEST_URL",
            hide_env_values = true,
            value_name = "URL"
        )]
        url: String,
        #[arg(long, global = true, env = "TOOL_TEST_WAIT", default_value = "60s", value_parser = duration)]
        wait: Duration,
        #[arg(long, global = true, default_value = "3", value_parser = whole::<u32>)]
        retries: u32,
        #[command(subcommand)]
        command: Option<Sub>,
    }

    #[derive(Subcommand, Debug)]
    enum Sub {
        Down(DownArgs),
    }

    #[derive(Args, Debug)]
    struct DownArgs {
        #[arg(long, value_name = "N", value_parser = whole::<usize>, conflicts_with = "all")]
        num: Option<usize>,
        #[arg(long)]
        all: bool,
    }

    fn line(args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        match try_parse::<Tool>(&args) {
            Err(Rejected::Line(line)) => line,
            other => panic!("expected a line, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_value_names_the_flag_and_a_good_value() {
        assert_eq!(
            line(&["tool", "--url", "u", "--wait", "forever"]),
            "invalid value `forever` for --wait: expected a duration, e.g. --wait 60s"
        );
        assert_eq!(
            line(&["tool", "--url", "u", "down", "--retries", "-1"]),
            "invalid value `-1` for --retries: expected a whole number, e.g. --retries 3"
        );
        assert_eq!(
            line(&["tool", "--url", "u", "down", "--num", "x"]),
            "invalid value `x` for --num: expected a whole number, e.g. --num 2"
        );
    }

    #[test]
    fn other_mistakes_are_one_line_too() {
        assert_eq!(
            line(&["tool", "--url", "u", "--wiat", "1s"]),
            "unknown flag `--wiat` (did you mean --wait?): see tool --help"
        );
        assert_eq!(
            line(&["tool", "--url", "u", "sideways"]),
            "unknown command `sideways`: expected one of down"
        );
        assert_eq!(
            line(&["tool", "--url", "u", "down", "--num", "1", "--all"]),
            "--num cannot be used with --all"
        );
    }

    #[test]
    fn a_missing_argument_names_its_variable_and_an_example() {
        assert_eq!(
            line(&["tool"]),
            "missing --url (or TOOL_TEST_URL), e.g. postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        );
    }

    #[test]
    fn help_is_left_to_clap() {
        let args: Vec<OsString> = ["tool", "--help"].iter().map(OsString::from).collect();
        assert!(matches!(try_parse::<Tool>(&args), Err(Rejected::Clap(_))));
    }

    #[test]
    fn value_parsers_explain_themselves() {
        assert_eq!(duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("abc").unwrap_err(), "expected a duration");
        assert!(duration_of_a_second_or_more("0s").is_err());
        assert_eq!(whole::<u32>("-1").unwrap_err(), "expected a whole number");
    }
}
