//! Phase 1 of the `dev` profile, metering and audit: the usage log of the sample reply, the
//! month's rollup that agrees with it, an alert and an audit entry.

use anyhow::Context;
use entity::sea_orm_active_enums::AlertType;
use entity::{audit_logs, monthly_usage, usage_alerts, usage_logs};
use rust_decimal::Decimal;
use sea_orm::prelude::IpNetwork;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait,
};
use serde_json::json;

use super::core::Core;
use super::seeded_at;
use crate::{Summary, insert::insert_if_absent, seed_id};

/// The sample reply's metering: 8 prompt tokens, 50 completion tokens.
const TOKENS_INPUT: i32 = 8;
const TOKENS_OUTPUT: i32 = 50;

/// The sample reply's input and output cost: 0.10 and 0.40 USD per million tokens, rounded
/// to the column's 6 decimals.
fn costs() -> (Decimal, Decimal) {
    (Decimal::new(1, 6), Decimal::new(20, 6))
}

pub async fn seed<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    seed_usage_log(db, core, summary).await?;
    seed_monthly_usage(db, core, summary).await?;
    seed_alert(db, core, summary).await?;
    seed_audit(db, core, summary).await
}

/// The metering of the sample conversation's reply.
async fn seed_usage_log<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let (cost_input, cost_output) = costs();
    let log = usage_logs::ActiveModel {
        id: Set(seed_id("usage_logs", &format!("{}/1", core.conversation))),
        user_id: Set(core.user_one),
        agent_id: Set(core.coding_assistant),
        conversation_id: Set(Some(core.conversation)),
        message_id: Set(Some(
            seed_id("messages", &format!("{}/1", core.conversation)).to_string(),
        )),
        tokens_input: Set(TOKENS_INPUT),
        tokens_output: Set(TOKENS_OUTPUT),
        total_tokens: Set(TOKENS_INPUT + TOKENS_OUTPUT),
        model: Set("gemini-2.0-flash".into()),
        cost_input: Set(cost_input),
        cost_output: Set(cost_output),
        total_cost: Set(cost_input + cost_output),
        duration: Set(Some(840)),
        success: Set(true),
        error_message: Set(None),
        timestamp: Set(seeded_at()),
        ..Default::default()
    };
    insert_if_absent(db, summary, log, [usage_logs::Column::Id])
        .await
        .context("insert usage log")
}

/// The rollup agrees with the logs of its month: one metered reply, two messages.
async fn seed_monthly_usage<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let at = seeded_at();
    let (cost_input, cost_output) = costs();
    let month = monthly_usage::ActiveModel {
        id: Set(seed_id("monthly_usage", "user1/2025-10")),
        user_id: Set(core.user_one),
        year: Set(2025),
        month: Set(10),
        total_messages: Set(2),
        total_tokens: Set(i64::from(TOKENS_INPUT + TOKENS_OUTPUT)),
        total_cost: Set((cost_input + cost_output).round_dp(2)),
        agent_usage: Set(
            json!({ "coding-assistant": { "messages": 2, "tokens": TOKENS_INPUT + TOKENS_OUTPUT } }),
        ),
        limit_messages: Set(Some(100)),
        limit_tokens: Set(Some(100_000)),
        exceeded_limit: Set(false),
        warnings_sent: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let conflict = [
        monthly_usage::Column::UserId,
        monthly_usage::Column::Year,
        monthly_usage::Column::Month,
    ];
    insert_if_absent(db, summary, month, conflict)
        .await
        .context("insert monthly usage")
}

async fn seed_alert<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let alert = usage_alerts::ActiveModel {
        id: Set(seed_id("usage_alerts", "user1/approaching")),
        user_id: Set(core.user_one),
        r#type: Set(AlertType::ApproachingLimit),
        threshold: Set(80),
        triggered: Set(false),
        resolved_at: Set(None),
        created_at: Set(seeded_at()),
        ..Default::default()
    };
    insert_if_absent(db, summary, alert, [usage_alerts::Column::Id])
        .await
        .context("insert usage alert")
}

/// The super admin's grant of the health advisor to user one.
async fn seed_audit<C: ConnectionTrait>(
    db: &C,
    core: &Core,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let audit = audit_logs::ActiveModel {
        id: Set(seed_id("audit_logs", "seed/grant-health-advisor")),
        admin_id: Set(Some(core.super_admin)),
        action: Set("agent.grant".into()),
        target_id: Set(Some(core.user_one)),
        details: Set(Some(json!({ "agent": "health-advisor" }))),
        ip_address: Set(Some(
            "127.0.0.1/32".parse::<IpNetwork>().context("parse ip")?,
        )),
        timestamp: Set(seeded_at()),
        // Left out of the INSERT, not written as NULL: the columns exist only from phase 7
        // on, and the dev seed also runs on databases migrated through an earlier phase.
        actor_id: NotSet,
        db_role: NotSet,
        ..Default::default()
    };
    insert_if_absent(db, summary, audit, [audit_logs::Column::Id])
        .await
        .context("insert audit log")
}
