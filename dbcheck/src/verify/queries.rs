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
    /// The tables it must reach through an index, each with the indexes that serve it.
    pub accepted: &'static [Accepted],
    /// The SQL, with `$1`, `$2`, ... standing for `params`; each is cast in the SQL, so every
    /// value can be bound as text.
    pub template: &'static str,
    /// What `$1`, `$2`, ... are.
    pub params: &'static [Param],
}

/// A table a critical query reads a few rows of, and the indexes that find them: any valid
/// index on `table` whose first key column is one of `leading` bounds what the query reads,
/// whatever else it holds, so the planner may pick any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The table, schema-qualified: `public.messages`.
    pub table: &'static str,
    /// The columns the query filters or joins the table by: an index leading with one of them
    /// is accepted.
    pub leading: &'static [&'static str],
    /// The accepted indexes the migrations build (all in verify's manifest), named in the fix
    /// when none is left.
    pub built: &'static [&'static str],
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
            accepted: &[
                Accepted {
                    table: "public.chat_sessions",
                    leading: &["userId"],
                    built: &["chat_sessions_userId_idx"],
                },
                Accepted {
                    table: "public.conversations",
                    leading: &["chatSessionId"],
                    built: &["conversations_chatSessionId_updatedAt_idx"],
                },
            ],
            template: r#"SELECT c."id", c."title", c."messageCount", c."updatedAt" FROM conversations c
                JOIN chat_sessions s ON s."id" = c."chatSessionId"
                WHERE s."userId" = $1::uuid ORDER BY c."updatedAt" DESC LIMIT 20"#,
            params: &[Param::User],
        },
        CriticalQuery {
            name: "messages_of_conversation_by_time",
            purpose: "messages of a conversation, keyset page on (timestamp, id)",
            // Only the index on (conversationId, timestamp, id) keeps a long conversation's page
            // from being sorted whole; the Sort bound says so where it matters.
            accepted: &[Accepted {
                table: "public.messages",
                leading: &["conversationId"],
                built: &["messages_conversationId_timestamp_id_idx"],
            }],
            template: r#"SELECT "id", "role", "content", "timestamp" FROM messages
                WHERE "conversationId" = $1::uuid AND ("timestamp", "id") > ($2::timestamp, $3::uuid)
                ORDER BY "timestamp", "id" LIMIT 50"#,
            params: &[Param::Conversation, Param::CursorTimestamp, Param::CursorId],
        },
    ];
    queries.extend(usage_queries());
    queries.extend(bookkeeping_queries());
    queries.extend(search_queries());
    queries
}

/// The critical queries of usage: a user's newest logs and one month's totals.
fn usage_queries() -> Vec<CriticalQuery> {
    vec![
        CriticalQuery {
            name: "usage_logs_of_user_by_time",
            purpose: "usage logs of a user, latest first",
            accepted: &[Accepted {
                table: "public.usage_logs",
                leading: &["userId"],
                built: &["usage_logs_userId_timestamp_idx"],
            }],
            template: r#"SELECT "id", "totalTokens", "totalCost", "timestamp" FROM usage_logs
                WHERE "userId" = $1::uuid ORDER BY "timestamp" DESC LIMIT 50"#,
            params: &[Param::User],
        },
        CriticalQuery {
            name: "monthly_usage_of_user",
            purpose: "monthly usage of a user",
            // Both indexes lead with "userId", and a user has one row a month: the unique key
            // finds the row, the single-column index reads the user's few months and filters.
            accepted: &[Accepted {
                table: "public.monthly_usage",
                leading: &["userId"],
                built: &[
                    "monthly_usage_userId_year_month_key",
                    "monthly_usage_userId_idx",
                ],
            }],
            template: r#"SELECT "totalMessages", "totalTokens", "totalCost" FROM monthly_usage
                WHERE "userId" = $1::uuid AND "year" = 2025 AND "month" = 10"#,
            params: &[Param::User],
        },
    ]
}

/// The critical queries of support, storage and finance: each reads one owner's newest rows
/// from one index.
fn bookkeeping_queries() -> Vec<CriticalQuery> {
    vec![
        CriticalQuery {
            name: "tickets_by_status",
            purpose: "open tickets, newest first",
            accepted: &[Accepted {
                table: "public.support_tickets",
                leading: &["status"],
                built: &["support_tickets_status_createdAt_idx"],
            }],
            // "status" leads the sort though it is fixed: as `app_admin`, under row-level
            // security, the equality (enum_eq, not LEAKPROOF) does not make "status" a
            // constant of the sort, so without it the index's order is not the query's and
            // the planner reads every open ticket and sorts them (docs/security.md).
            template: r#"SELECT "id", "subject", "createdAt" FROM support_tickets
                WHERE "status" = 'OPEN' ORDER BY "status", "createdAt" DESC LIMIT 50"#,
            params: &[],
        },
        CriticalQuery {
            name: "files_of_user",
            purpose: "files of a user, newest first",
            accepted: &[Accepted {
                table: "public.storage_files",
                leading: &["userId"],
                built: &["storage_files_userId_createdAt_idx"],
            }],
            template: r#"SELECT "id", "name", "size" FROM storage_files
                WHERE "userId" = $1::uuid AND "deletedAt" IS NULL ORDER BY "createdAt" DESC LIMIT 50"#,
            params: &[Param::User],
        },
        CriticalQuery {
            name: "transactions_of_account_by_time",
            purpose: "transactions of an account, latest first",
            accepted: &[Accepted {
                table: "finance.transactions",
                leading: &["accountId"],
                built: &["transactions_accountId_occurredAt_idx"],
            }],
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
            // `search_messages` (phase 8) asks one GIN index for the user's messages holding
            // the words (`message_search_vector`: the words and an owner lexeme), so only the
            // matches are read and ranked, however many messages the user or the word has (at
            // most 2,000: past that, the newest 2,000, walked by `messages_userId_timestamp_idx`);
            // `app_user` goes through its `SECURITY DEFINER` helper, since row-level security
            // keeps a non-LEAKPROOF text match off any index (docs/search.md). EXPLAIN shows
            // one Function Scan: the smoke test `big_tenants::search_*` checks the plan inside.
            accepted: &[],
            template: r#"SELECT "id", "conversationId", rank FROM search_messages($1::uuid, $2::text)"#,
            params: &[Param::User, Param::SearchWords],
        },
        CriticalQuery {
            name: "nearest_chunks_of_user",
            purpose: "RAG top 10: the chunks of a user's documents nearest to an embedding",
            // `nearest_chunks` (phase 8) compares every chunk of a user with few of them, and
            // goes through the HNSW index with pgvector's iterative scan for a user with many
            // (docs/search.md). Its two statements are planned inside the function, which
            // EXPLAIN shows as one Function Scan: the bench measures both paths, with their
            // recall, for a typical user and for the largest tenant.
            accepted: &[],
            template: r#"SELECT "id", "documentId" FROM nearest_chunks($1::uuid, $2::vector, 10)"#,
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
            // A query of a function (`FROM f(...)`) plans its statements inside it, out of
            // EXPLAIN's sight; every other query names the indexes that serve it.
            let of_a_function = query.template.split_once("FROM ").is_some_and(|(_, rest)| {
                rest.split_whitespace()
                    .next()
                    .is_some_and(|f| f.contains('('))
            });
            assert!(
                !query.accepted.is_empty() || of_a_function,
                "{} accepts no index",
                query.name
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
            for accepted in query.accepted {
                assert_accepted_is_in_the_manifest(query.name, accepted);
            }
        }
    }

    /// `accepted` names a table the query reads, columns, and built indexes that the manifest
    /// lists on that very table.
    fn assert_accepted_is_in_the_manifest(query: &str, accepted: &Accepted) {
        let (schema, table) = accepted.table.split_once('.').expect("schema-qualified");
        let template = critical_queries()
            .into_iter()
            .find(|q| q.name == query)
            .map(|q| q.template)
            .unwrap_or_default();
        assert!(
            template.contains(table),
            "{query}: {} is not a table it reads",
            accepted.table
        );
        assert!(!accepted.leading.is_empty() && !accepted.built.is_empty());
        let listed = if schema == "public" {
            table.to_owned()
        } else {
            accepted.table.to_owned()
        };
        for index in accepted.built {
            assert!(
                crate::verify::EXPECTED
                    .lines()
                    .any(|l| l == format!("index {listed} {index}")),
                "{query}: {index} on {listed} is not in verify/expected.txt"
            );
        }
    }
}
