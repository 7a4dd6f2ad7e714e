//! The critical queries of the platform, each with the indexes it is meant to use; verify
//! `EXPLAIN`s them and the benchmarks run them.

/// A query the platform runs on every page view, with literal sample parameters (fixed UUIDs
/// and dates, so it runs on any database and finds nothing on an empty one).
#[derive(Debug, Clone)]
pub struct CriticalQuery {
    /// Short snake_case name: `messages_of_conversation_by_time`.
    pub name: &'static str,
    /// What the query is for, in one sentence.
    pub purpose: &'static str,
    /// The indexes its plan must use.
    pub indexes: &'static [&'static str],
    /// The SQL, ready to run or to `EXPLAIN`.
    pub sql: String,
}

/// The sample user, conversation and account of every query.
pub const SAMPLE_USER: &str = "00000000-0000-4000-8000-000000000001";
pub const SAMPLE_CONVERSATION: &str = "00000000-0000-4000-8000-000000000002";
pub const SAMPLE_ACCOUNT: &str = "00000000-0000-4000-8000-000000000003";

/// The critical queries, in the order of the seed document's list.
pub fn critical_queries() -> Vec<CriticalQuery> {
    let user = SAMPLE_USER;
    vec![
        CriticalQuery {
            name: "conversations_of_user",
            purpose: "a user's conversations across their chat sessions, latest first",
            indexes: &[
                "chat_sessions_userId_idx",
                "conversations_chatSessionId_idx",
            ],
            sql: format!(
                r#"SELECT c.* FROM conversations c JOIN chat_sessions s ON s."id" = c."chatSessionId"
                   WHERE s."userId" = '{user}' ORDER BY c."updatedAt" DESC LIMIT 20"#
            ),
        },
        CriticalQuery {
            name: "messages_of_conversation_by_time",
            purpose: "one page of a conversation's messages, keyset pagination on (timestamp, id)",
            indexes: &["messages_conversationId_idx"],
            sql: format!(
                r#"SELECT * FROM messages WHERE "conversationId" = '{SAMPLE_CONVERSATION}'
                   AND ("timestamp", "id") < ('2026-01-01 00:00:00', '{SAMPLE_CONVERSATION}')
                   ORDER BY "timestamp" DESC, "id" DESC LIMIT 50"#
            ),
        },
        CriticalQuery {
            name: "usage_logs_of_user_by_time",
            purpose: "a user's usage records of the last month, latest first",
            indexes: &["usage_logs_userId_timestamp_idx"],
            sql: format!(
                r#"SELECT * FROM usage_logs WHERE "userId" = '{user}'
                   AND "timestamp" >= '2026-01-01 00:00:00' ORDER BY "timestamp" DESC LIMIT 100"#
            ),
        },
        CriticalQuery {
            name: "monthly_usage_of_user",
            purpose: "a user's usage totals of one month",
            indexes: &["monthly_usage_userId_year_month_key"],
            sql: format!(
                r#"SELECT * FROM monthly_usage WHERE "userId" = '{user}' AND "year" = 2026
                   AND "month" = 1"#
            ),
        },
        CriticalQuery {
            name: "tickets_by_status",
            purpose: "the support queue: open tickets, newest first",
            indexes: &["support_tickets_status_createdAt_idx"],
            sql: r#"SELECT * FROM support_tickets WHERE "status" = 'OPEN'
                    ORDER BY "createdAt" DESC LIMIT 50"#
                .to_owned(),
        },
        CriticalQuery {
            name: "files_of_user",
            purpose: "a user's files that are not deleted, newest first",
            indexes: &["storage_files_userId_createdAt_idx"],
            sql: format!(
                r#"SELECT * FROM storage_files WHERE "userId" = '{user}' AND "deletedAt" IS NULL
                   ORDER BY "createdAt" DESC LIMIT 50"#
            ),
        },
        CriticalQuery {
            name: "transactions_of_account_by_time",
            purpose: "an account's transactions, latest first",
            indexes: &["transactions_accountId_occurredAt_idx"],
            sql: format!(
                r#"SELECT * FROM finance.transactions WHERE "accountId" = '{SAMPLE_ACCOUNT}'
                   ORDER BY "occurredAt" DESC LIMIT 50"#
            ),
        },
        CriticalQuery {
            name: "nearest_chunks_by_embedding",
            purpose: "the five chunks nearest to a query embedding by cosine distance (HNSW)",
            indexes: &["rag_chunks_embedding_idx"],
            sql: format!(
                r#"SELECT "id", "documentId" FROM rag_chunks
                   ORDER BY "embedding" <=> '{}'::vector LIMIT 5"#,
                sample_embedding()
            ),
        },
    ]
}

/// A fixed unit-length 1536-dimension vector literal (`[0.0255,...]`).
fn sample_embedding() -> String {
    let value = 1.0 / (1536f64).sqrt();
    let parts: Vec<String> = (0..1536).map(|_| format!("{value:.6}")).collect();
    format!("[{}]", parts.join(","))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_critical_query_has_a_unique_name_and_indexes_the_schema_has() {
        let queries = critical_queries();
        let names: BTreeSet<_> = queries.iter().map(|q| q.name).collect();
        assert_eq!(names.len(), queries.len(), "duplicate query names");
        for query in &queries {
            assert!(!query.indexes.is_empty(), "{} names no index", query.name);
            for index in query.indexes {
                assert!(
                    crate::verify::EXPECTED
                        .lines()
                        .any(|l| l.starts_with("index ") && l.ends_with(&format!(" {index}"))),
                    "{}: {index} is not in verify/expected.txt",
                    query.name
                );
            }
        }
    }
}
