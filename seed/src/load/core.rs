//! Phase 1 core: users, agents, chat sessions, conversations and their messages.
//!
//! A conversation's `messageCount` and `tokenCount` are computed here from the same random
//! streams the messages are drawn from, because the counter triggers are off while
//! conversations and messages are copied (see `load/mod.rs`).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::copy::{Rows, Table};
use super::data::{self, Kind, id, rng};
use super::ids::{AGENTS, agent_id, agent_model, agent_slug, user_id};
use super::tenants;
use super::usage;

/// The message count of the long conversation (user 0's first), for deep pagination.
pub const LONG_CONVERSATION_MESSAGES: u64 = 10_000;

const CATEGORIES: &[&str] = &["productivity", "health", "finance", "coding", "writing"];
const TIERS: &[&str] = &["FREE", "FREE", "FREE", "BASIC", "PRO", "ENTERPRISE"];

/// A user's subscription tier; storage quotas follow it.
pub fn tier(user: u64) -> &'static str {
    TIERS[rng(Kind::User, user, 1).random_range(0..TIERS.len())]
}

/// The id of the long conversation that the benchmark pages through.
pub fn long_conversation_id() -> uuid::Uuid {
    id(Kind::Conversation, 0, 0, 0)
}

/// One conversation of a user, before its messages are drawn.
pub struct Conversation {
    pub index: u64,
    pub agent: u64,
    pub session: u64,
    pub messages: u64,
    /// Milliseconds after the epoch of its first message.
    pub start: i64,
}

/// Messages of a full conversation of a large tenant's extra ones.
pub const TAIL_MESSAGES: u64 = 200;

/// The conversations of `user`: 5 to 15, with a long-tailed number of messages each, then
/// the large tenants' extra messages (`tenants.rs`) in conversations of up to
/// [`TAIL_MESSAGES`].
pub fn conversations(user: u64, scale: u64) -> Vec<Conversation> {
    let mut r = rng(Kind::Conversation, user, 0);
    let n = r.random_range(5..=15);
    let mut all: Vec<Conversation> = (0..n)
        .map(|index| Conversation {
            index,
            agent: r.random_range(0..AGENTS),
            session: index / 3,
            messages: if user == 0 && index == 0 {
                LONG_CONVERSATION_MESSAGES
            } else {
                data::long_tail(&mut r, 2, 9.0, 2_000)
            },
            start: r.random_range(0..(data::PERIOD_DAYS - 30) * 86_400_000),
        })
        .collect();
    let mut extra = tenants::extra(user, scale);
    let mut index = n;
    while extra > 0 {
        let messages = extra.min(TAIL_MESSAGES);
        all.push(Conversation {
            index,
            agent: r.random_range(0..AGENTS),
            session: index / 3,
            messages,
            start: r.random_range(0..(data::PERIOD_DAYS - 30) * 86_400_000),
        });
        extra -= messages;
        index += 1;
    }
    all
}

/// The token counts and time gap of one message; `tokensOutput` is NULL on user messages.
pub struct MessageFacts {
    pub tokens_input: u32,
    pub tokens_output: Option<u32>,
    /// Milliseconds after the conversation's start.
    pub offset: i64,
}

/// The facts of every message of a conversation, drawn from their own stream.
pub fn messages(user: u64, conversation: &Conversation) -> impl Iterator<Item = MessageFacts> {
    let mut r = rng(Kind::Tokens, user, conversation.index);
    let mut offset = 0i64;
    (0..conversation.messages).map(move |m| {
        let input = r.random_range(5..400);
        let output = r.random_range(20..900);
        offset += r.random_range(2_000..120_000);
        MessageFacts {
            tokens_input: input,
            tokens_output: (m % 2 == 1).then_some(output),
            offset,
        }
    })
}

pub const USERS: Table<'static> = Table {
    name: "public.users",
    columns: &[
        "id",
        "email",
        "name",
        "role",
        "subscriptionTier",
        "totalMessages",
        "totalTokensUsed",
        "monthlyMessages",
        "monthlyTokens",
        "lastResetAt",
        "lastInteraction",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: false,
    units: 0,
};

/// A user's counters are the totals of their usage logs; the monthly ones of the last month.
pub fn user(u: u64, rows: &mut Rows) {
    let logs = usage::logs(u);
    let last_month = usage::months().last().copied().expect("months");
    let (mut total, mut tokens, mut month_total, mut month_tokens) = (0u64, 0u64, 0u64, 0u64);
    let mut last = data::epoch();
    for log in &logs {
        total += 1;
        tokens += u64::from(log.total_tokens());
        if usage::month_of(log.at) == last_month {
            month_total += 1;
            month_tokens += u64::from(log.total_tokens());
        }
        last = last.max(log.at);
    }
    rows.uuid(user_id(u))
        .val(format_args!("user{u}@load.example"))
        .val(format_args!("Load User {u}"))
        .val(if u == 0 { "ADMIN" } else { "USER" })
        .val(tier(u))
        .val(total)
        .val(tokens)
        .val(month_total)
        .val(month_tokens)
        .ts(usage::month_start(last_month))
        .ts(last)
        .ts(data::epoch())
        .ts(data::epoch());
    rows.end();
}

pub const AGENT_TABLE: Table<'static> = Table {
    name: "public.agents",
    columns: &[
        "id",
        "createdBy",
        "name",
        "slug",
        "description",
        "category",
        "model",
        "endpointUrl",
        "isPublic",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: false,
    units: AGENTS,
};

pub fn agent(a: u64, users: u64, rows: &mut Rows) {
    rows.uuid(agent_id(a))
        .uuid(user_id(a % users))
        .val(format_args!("Load Agent {a}"))
        .val(agent_slug(a))
        .text("An agent of the load profile.")
        .val(CATEGORIES[(a % CATEGORIES.len() as u64) as usize])
        .val(agent_model(a))
        .val(format_args!("https://agents.load.example/{a}"))
        .val(a.is_multiple_of(3))
        .ts(data::epoch())
        .ts(data::epoch());
    rows.end();
}

pub const SESSIONS: Table<'static> = Table {
    name: "public.chat_sessions",
    columns: &["id", "userId", "startedAt", "lastActivity"],
    without_triggers: false,
    units: 0,
};

/// One session per three conversations, starting with the first of them.
pub fn sessions(u: u64, scale: u64, rows: &mut Rows) {
    for c in conversations(u, scale).iter().filter(|c| c.index % 3 == 0) {
        rows.uuid(id(Kind::ChatSession, u, c.session, 0))
            .uuid(user_id(u))
            .ts(data::at(c.start))
            .ts(data::at(c.start + 3_600_000));
        rows.end();
    }
}

pub const CONVERSATIONS: Table<'static> = Table {
    name: "public.conversations",
    columns: &[
        "id",
        "chatSessionId",
        "agentId",
        "title",
        "messageCount",
        "tokenCount",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: true,
    units: 0,
};

pub fn conversation_rows(u: u64, scale: u64, rows: &mut Rows) {
    for c in conversations(u, scale) {
        let (mut count, mut tokens, mut last) = (0u64, 0u64, 0i64);
        for m in messages(u, &c) {
            count += 1;
            tokens += u64::from(m.tokens_input) + u64::from(m.tokens_output.unwrap_or(0));
            last = m.offset;
        }
        let mut title = rng(Kind::Content, u, c.index + 1_000_000);
        rows.uuid(id(Kind::Conversation, u, c.index, 0))
            .uuid(id(Kind::ChatSession, u, c.session, 0))
            .uuid(agent_id(c.agent))
            .text(&data::sentence(&mut title, 4))
            .val(count)
            .val(tokens)
            .ts(data::at(c.start))
            .ts(data::at(c.start + last));
        rows.end();
    }
}

pub const MESSAGES: Table<'static> = Table {
    name: "public.messages",
    columns: &[
        "id",
        "conversationId",
        "role",
        "content",
        "tokensInput",
        "tokensOutput",
        "timestamp",
    ],
    without_triggers: true,
    units: 0,
};

/// [`MESSAGES`] on a database with phase 8's `messages."userId"`: its trigger is off with the
/// others during the COPY, so the loader writes the owner itself (the user it generates the
/// messages for), which costs nothing where the trigger would look each one up.
pub const MESSAGES_WITH_OWNER: Table<'static> = Table {
    name: "public.messages",
    columns: &[
        "id",
        "conversationId",
        "role",
        "content",
        "tokensInput",
        "tokensOutput",
        "timestamp",
        "userId",
    ],
    without_triggers: true,
    units: 0,
};

/// A word no sentence of the vocabulary holds, appended to every [`RARE_EVERY`]th message of
/// a conversation, so full-text search can be measured on a rare word as well as a common one.
pub const RARE_WORD: &str = "quetzal";
pub const RARE_EVERY: u64 = 500;

/// A word of the vocabulary, so in about a third of the messages.
pub const COMMON_WORD: &str = "agent";

/// The messages of user `u`, with their owner when `owner` is set ([`MESSAGES_WITH_OWNER`]).
pub fn message_rows(u: u64, scale: u64, owner: bool, rows: &mut Rows) {
    for c in conversations(u, scale) {
        let conversation = id(Kind::Conversation, u, c.index, 0);
        let mut text: ChaCha8Rng = rng(Kind::Content, u, c.index);
        for (m, facts) in messages(u, &c).enumerate() {
            let assistant = facts.tokens_output.is_some();
            let words = if assistant {
                text.random_range(10..60)
            } else {
                text.random_range(4..24)
            };
            let mut content = data::sentence(&mut text, words);
            if m as u64 % RARE_EVERY == RARE_EVERY - 1 {
                content.push(' ');
                content.push_str(RARE_WORD);
            }
            rows.uuid(id(Kind::Message, u, c.index, m as u64))
                .uuid(conversation)
                .val(if assistant { "assistant" } else { "user" })
                .text(&content)
                .val(facts.tokens_input);
            match facts.tokens_output {
                Some(t) => rows.val(t),
                None => rows.null(),
            };
            rows.ts(data::at(c.start + facts.offset));
            if owner {
                rows.uuid(user_id(u));
            }
            rows.end();
        }
    }
}
