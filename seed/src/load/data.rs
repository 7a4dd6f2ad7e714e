//! Deterministic building blocks of the load profile: ids, random streams, times and text.
//!
//! Each generated fact is drawn from a random stream keyed by what it describes (a kind and
//! up to two indexes), never from a shared stream, so the table of conversations and the table
//! of messages can derive the same token counts independently and in any order.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// Kinds of rows, also the first key of their random streams.
#[derive(Clone, Copy)]
#[repr(u16)]
pub enum Kind {
    User = 1,
    Agent,
    ChatSession,
    Conversation,
    Message,
    UsageLog,
    MonthlyUsage,
    Ticket,
    Quota,
    File,
    Measurement,
    FinancialAccount,
    Transaction,
    Document,
    Chunk,
    Marker,
    /// Streams that are not rows: token counts, content.
    Tokens,
    Content,
    /// Last, so the kinds before it keep their numbers (and the loaded ids their values).
    Allergy,
}

/// A deterministic UUID (version 8) made of the kind and three indexes, unique per row. The
/// version differs from the dev seed's UUIDv5 ids, so the two profiles never collide.
pub fn id(kind: Kind, a: u64, b: u64, c: u64) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[0..4].copy_from_slice(&(a as u32).to_be_bytes());
    bytes[4..6].copy_from_slice(&(kind as u16).to_be_bytes());
    bytes[9..12].copy_from_slice(&(b as u32).to_be_bytes()[1..]);
    bytes[12..16].copy_from_slice(&(c as u32).to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The random stream of `kind` for the row or group keyed by `a` and `b`.
pub fn rng(kind: Kind, a: u64, b: u64) -> ChaCha8Rng {
    let seed = (kind as u64) << 56 ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(29);
    ChaCha8Rng::seed_from_u64(seed)
}

/// The start of the loaded period: six months of history up to the dev seed's date.
pub fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 5, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid date")
}

/// How long the loaded period lasts.
pub const PERIOD_DAYS: i64 = 184;

/// A time `millis` after [`epoch`].
pub fn at(millis: i64) -> NaiveDateTime {
    epoch() + Duration::milliseconds(millis)
}

/// A random time within the loaded period, at millisecond resolution.
pub fn any_time(rng: &mut ChaCha8Rng) -> NaiveDateTime {
    at(rng.random_range(0..PERIOD_DAYS * 86_400_000))
}

/// A count with a long tail: most values near `min`, a few up to `max` (a Pareto
/// II law with shape 1.5, whose mean is `min` plus twice its scale, before the cap).
pub fn long_tail(rng: &mut ChaCha8Rng, min: u64, scale: f64, max: u64) -> u64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let x = scale / u.powf(1.0 / 1.5) - scale;
    (min + x as u64).min(max)
}

const WORDS: &[&str] = &[
    "agent",
    "prompt",
    "token",
    "deploy",
    "query",
    "index",
    "vector",
    "budget",
    "report",
    "schedule",
    "summary",
    "invoice",
    "meeting",
    "draft",
    "review",
    "error",
    "retry",
    "latency",
    "model",
    "context",
    "memory",
    "search",
    "document",
    "chart",
    "export",
    "reminder",
    "account",
    "payment",
    "health",
    "sleep",
    "steps",
    "glucose",
    "email",
    "calendar",
    "notion",
    "github",
    "please",
    "could",
    "you",
    "the",
    "a",
    "of",
    "for",
    "with",
    "and",
    "my",
    "this",
    "next",
    "week",
    "today",
    "explain",
    "compare",
    "fix",
    "write",
    "plan",
    "translate",
    "why",
    "how",
];

/// A sentence of `n` words from a small vocabulary.
pub fn sentence(rng: &mut ChaCha8Rng, n: usize) -> String {
    let mut s = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.random_range(0..WORDS.len())]);
    }
    s
}

/// How many words a document's topic holds.
const TOPIC_WORDS: usize = 6;

/// The words a document is about: [`TOPIC_WORDS`] of the vocabulary.
pub fn topic(rng: &mut ChaCha8Rng) -> Vec<&'static str> {
    (0..TOPIC_WORDS)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect()
}

/// A sentence of `n` words, seven in ten from `topic` and the rest from the whole vocabulary,
/// so that the texts of one document share most of their words.
pub fn topical_sentence(rng: &mut ChaCha8Rng, topic: &[&str], n: usize) -> String {
    let mut s = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let word = if rng.random_range(0..10) < 7 {
            topic[rng.random_range(0..topic.len())]
        } else {
            WORDS[rng.random_range(0..WORDS.len())]
        };
        s.push_str(word);
    }
    s
}

/// Micro-units (of a currency) as a decimal with six places.
pub fn micros(m: u64) -> String {
    format!("{}.{:06}", m / 1_000_000, m % 1_000_000)
}

/// Cents as a decimal with two places.
pub fn cents(c: u64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

/// Micro-units rounded half up to cents, as PostgreSQL rounds a positive `numeric`.
pub fn micros_to_cents(m: u64) -> u64 {
    (m + 5_000) / 10_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_across_kinds_and_indexes_and_stable() {
        let a = id(Kind::Message, 1, 2, 3);
        assert_eq!(a, id(Kind::Message, 1, 2, 3));
        assert_ne!(a, id(Kind::Message, 1, 2, 4));
        assert_ne!(a, id(Kind::Message, 1, 3, 3));
        assert_ne!(a, id(Kind::UsageLog, 1, 2, 3));
        assert_eq!(a.get_version_num(), 8);
    }

    #[test]
    fn streams_repeat_for_the_same_key() {
        let x: u64 = rng(Kind::Tokens, 4, 5).random();
        assert_eq!(x, rng(Kind::Tokens, 4, 5).random::<u64>());
        assert_ne!(x, rng(Kind::Tokens, 5, 4).random::<u64>());
    }

    #[test]
    fn money_is_formatted_and_rounded_like_postgres() {
        assert_eq!(micros(1_234_567), "1.234567");
        assert_eq!(cents(1005), "10.05");
        assert_eq!(micros_to_cents(1_005_000), 101);
        assert_eq!(micros_to_cents(1_004_999), 100);
    }
}
