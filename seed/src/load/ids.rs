//! The identities and fixed facts every table of the load profile agrees on: user and agent
//! ids, agent slugs and models, and how many agents there are.

use super::data::{Kind, id};

/// How many agents the load profile creates, whatever the scale.
pub const AGENTS: u64 = 50;

const MODELS: &[&str] = &["gpt-4o-mini", "gpt-4o", "claude-sonnet-4", "llama-3.1-70b"];

/// The id of load user `user`.
pub fn user_id(user: u64) -> uuid::Uuid {
    id(Kind::User, user, 0, 0)
}

/// The id of load agent `agent`.
pub fn agent_id(agent: u64) -> uuid::Uuid {
    id(Kind::Agent, agent, 0, 0)
}

/// The slug of load agent `agent`.
pub fn agent_slug(agent: u64) -> String {
    format!("load-agent-{agent}")
}

/// The model of load agent `agent`.
pub fn agent_model(agent: u64) -> &'static str {
    MODELS[(agent % MODELS.len() as u64) as usize]
}
