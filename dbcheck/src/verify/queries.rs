//! The critical queries of the platform, each with the indexes it is meant to use; verify
//! `EXPLAIN`s them and the benchmarks run them.

/// A value a critical query takes. Verify fills in a sample (fixed UUIDs and dates, so the
/// query runs on any database and finds nothing on an empty one); the benchmark draws real
/// values from the loaded data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// A user's id.
    User,
    /// A conversation's id.
    Conversation,
    /// The `timestamp` of the message a keyset page starts after.
    CursorTimestamp,
    /// The `id` of the message a keyset page starts after.
    CursorId,
    /// A financial account's id.
    Account,
    /// A 1536-dimension query embedding, as pgvector's text form.
    Embedding,
    /// Words to search messages for, as a person types them (`websearch_to_tsquery`).
    SearchWords,
}

impl Param {
    /// The sample value verify runs the query with, as an SQL string literal.
    pub fn sample(self) -> String {
        let text = match self {
            Param::User => SAMPLE_USER.to_owned(),
            Param::Conversation | Param::CursorId => SAMPLE_CONVERSATION.to_owned(),
            Param::CursorTimestamp => "2026-01-01 00:00:00".to_owned(),
            Param::Account => SAMPLE_ACCOUNT.to_owned(),
            Param::Embedding => sample_embedding(),
            Param::SearchWords => "agente".to_owned(),
        };
        format!("'{text}'")
    }
}

/// A query the platform runs on every page view.
#[derive(Debug, Clone)]
pub struct CriticalQuery {
    /// Short snake_case name: `messages_of_conversation_by_time`.
    pub name: &'static str,
    /// What the query is for, in one sentence.
    pub purpose: &'static str,
    /// The indexes its plan must use; an entry `a | b` is met by either (two index paths
    /// that are both fast, one of which the planner picks by the data).
    pub indexes: &'static [&'static str],
    /// The table whose size decides how verify checks the plan (schema-qualified): above
    /// `REAL_PLAN_ROWS` rows the planner's own plan, below it an index path.
    pub table: &'static str,
    /// The SQL, with `$1`, `$2`, ... standing for `params`; each is cast in the SQL, so every
    /// value can be bound as text.
    pub template: &'static str,
    /// What `$1`, `$2`, ... are.
    pub params: &'static [Param],
}

impl CriticalQuery {
    /// The SQL with the sample values in place, ready to run or to `EXPLAIN`.
    pub fn sample_sql(&self) -> String {
        // From the last placeholder down, so `$1` never eats the start of `$10`.
        (0..self.params.len())
            .rev()
            .fold(self.template.to_owned(), |sql, i| {
                sql.replace(&format!("${}", i + 1), &self.params[i].sample())
            })
    }
}

/// The sample user, conversation and account of every query.
pub const SAMPLE_USER: &str = "00000000-0000-4000-8000-000000000001";
pub const SAMPLE_CONVERSATION: &str = "00000000-0000-4000-8000-000000000002";
pub const SAMPLE_ACCOUNT: &str = "00000000-0000-4000-8000-000000000003";

/// The critical queries, in the order of the seed document's list: verify checks that each
/// has an index path, and `cargo xtask bench` times them at load scale.
pub fn critical_queries() -> Vec<CriticalQuery> {
    let mut queries = vec![
        CriticalQuery {
            name: "conversations_of_user",
            purpose: "conversations of a user, latest first",
            // A user has a handful of sessions, each read in activity order; the few rows are
            // sorted together (a bounded sort).
            indexes: &[
                "chat_sessions_userId_idx",
                "conversations_chatSessionId_updatedAt_idx",
            ],
            table: "public.conversations",
            template: r#"SELECT c."id", c."title", c."messageCount", c."updatedAt" FROM conversations c
                JOIN chat_sessions s ON s."id" = c."chatSessionId"
                WHERE s."userId" = $1::uuid ORDER BY c."updatedAt" DESC LIMIT 20"#,
            params: &[Param::User],
        },
        CriticalQuery {
            name: "messages_of_conversation_by_time",
            purpose: "messages of a conversation, keyset page on (timestamp, id)",
            indexes: &["messages_conversationId_timestamp_id_idx"],
            table: "public.messages",
            template: r#"SELECT "id", "role", "content", "timestamp" FROM messages
                WHERE "conversationId" = $1::uuid AND ("timestamp", "id") > ($2::timestamp, $3::uuid)
                ORDER BY "timestamp", "id" LIMIT 50"#,
            params: &[Param::Conversation, Param::CursorTimestamp, Param::CursorId],
        },
    ];
    queries.extend(bookkeeping_queries());
    queries.extend(search_queries());
    queries
}

/// The critical queries of usage, support, storage and finance: each reads one owner's newest
/// rows from one index.
fn bookkeeping_queries() -> Vec<CriticalQuery> {
    vec![
        CriticalQuery {
            name: "usage_logs_of_user_by_time",
            purpose: "usage logs of a user, latest first",
            indexes: &["usage_logs_userId_timestamp_idx"],
            table: "public.usage_logs",
            template: r#"SELECT "id", "totalTokens", "totalCost", "timestamp" FROM usage_logs
                WHERE "userId" = $1::uuid ORDER BY "timestamp" DESC LIMIT 50"#,
            params: &[Param::User],
        },
        CriticalQuery {
            name: "monthly_usage_of_user",
            purpose: "monthly usage of a user",
            // Both indexes lead with "userId", and a user has one row a month: the unique key
            // finds the row, the single-column index reads the user's few months and filters.
            // On a small analyzed table the planner may pick either, so either passes.
            indexes: &["monthly_usage_userId_year_month_key | monthly_usage_userId_idx"],
            table: "public.monthly_usage",
            template: r#"SELECT "totalMessages", "totalTokens", "totalCost" FROM monthly_usage
                WHERE "userId" = $1::uuid AND "year" = 2025 AND "month" = 10"#,
            params: &[Param::User],
        },
        CriticalQuery {
            name: "tickets_by_status",
            purpose: "open tickets, newest first",
            indexes: &["support_tickets_status_createdAt_idx"],
            table: "public.support_tickets",
            template: r#"SELECT "id", "subject", "createdAt" FROM support_tickets
                WHERE "status" = 'OPEN' ORDER BY "createdAt" DESC LIMIT 50"#,
            params: &[],
        },
        CriticalQuery {
            name: "files_of_user",
            purpose: "files of a user, newest first",
            indexes: &["storage_files_userId_createdAt_idx"],
            table: "public.storage_files",
            template: r#"SELECT "id", "name", "size" FROM storage_files
                WHERE "userId" = $1::uuid AND "deletedAt" IS NULL ORDER BY "createdAt" DESC LIMIT 50"#,
            params: &[Param::User],
        },
        CriticalQuery {
            name: "transactions_of_account_by_time",
            purpose: "transactions of an account, latest first",
            indexes: &["transactions_accountId_occurredAt_idx"],
            table: "finance.transactions",
            template: r#"SELECT "id", "type", "amount", "occurredAt" FROM finance.transactions
                WHERE "accountId" = $1::uuid ORDER BY "occurredAt" DESC LIMIT 50"#,
            params: &[Param::Account],
        },
    ]
}

/// Full-text search and RAG retrieval, both scoped to one user as the application runs them.
fn search_queries() -> Vec<CriticalQuery> {
    vec![
        CriticalQuery {
            name: "messages_of_user_by_words",
            purpose: "full-text search of a user's messages, best match first",
            // The messages are reached through the user's conversations (a few hundred
            // rows, each tested against the query) or through the word's GIN entries, each
            // joined back to its owner: the planner weighs the user's messages against the
            // word's, and a real plan that sorts more than a page's worth of matches fails.
            indexes: &["messages_conversationId_timestamp_id_idx | messages_contentSearch_idx"],
            table: "public.messages",
            template: r#"SELECT m."id", m."conversationId", ts_rank(m."contentSearch", q.query) AS rank
                FROM chat_sessions s
                JOIN conversations c ON c."chatSessionId" = s."id"
                JOIN messages m ON m."conversationId" = c."id"
                CROSS JOIN websearch_to_tsquery('spanish', $2::text) AS q(query)
                WHERE s."userId" = $1::uuid AND m."contentSearch" @@ q.query
                ORDER BY rank DESC, m."id" LIMIT 20"#,
            params: &[Param::User, Param::SearchWords],
        },
        CriticalQuery {
            name: "nearest_chunks_of_user",
            purpose: "RAG top 10: the chunks of a user's documents nearest to an embedding",
            // Exact: every chunk of the user's documents is compared (docs/search.md says
            // why not the HNSW index, whose post-filtering misses a user's neighbours).
            indexes: &["rag_chunks_documentId_chunkIndex_key"],
            table: "public.rag_chunks",
            // A scalar subquery casts the parameter once (an InitPlan); a bare `$2::vector` in
            // a generic plan is parsed again for every distance computed.
            template: r#"SELECT c."id", c."documentId" FROM rag_chunks c
                JOIN rag_documents d ON d."id" = c."documentId"
                WHERE d."userId" = $1::uuid
                ORDER BY c."embedding" <=> (SELECT $2::vector) LIMIT 10"#,
            params: &[Param::User, Param::Embedding],
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
            assert!(
                query.table.contains('.')
                    && query
                        .template
                        .contains(query.table.split('.').nth(1).unwrap_or("")),
                "{}: its table {} is not one it reads",
                query.name,
                query.table
            );
            let sample = query.sample_sql();
            assert!(
                !sample.contains('$'),
                "{}: a placeholder is left: {sample}",
                query.name
            );
            for n in 1..=query.params.len() {
                assert!(
                    query.template.contains(&format!("${n}")),
                    "{}: ${n} unused",
                    query.name
                );
            }
            for index in query.indexes.iter().flat_map(|i| i.split(" | ")) {
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
