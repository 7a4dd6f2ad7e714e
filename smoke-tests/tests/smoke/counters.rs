//! Derived counters stay equal to a recount under random sequences of changes, concurrent
//! opposite moves never deadlock, and `verify --deep` and `repair` find and fix planted errors.
//!
//! The random sequences are seeded, so a failure replays: every id is drawn from the seed and
//! every choice is made over rows listed in id order. After each step an independent recount
//! (SQL written here, not dbcheck's) must agree with the stored counters.

mod commit;
mod concurrent;
mod deep;

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use smoke_tests::TestDb;

use crate::{count, query_strings};

/// Conversations whose counters differ from a recount of their messages.
pub const CONVERSATIONS_OFF: &str = r#"SELECT count(*) FROM conversations c
    WHERE c."messageCount" <> (SELECT count(*) FROM messages m WHERE m."conversationId" = c.id)
       OR c."tokenCount" <> (SELECT coalesce(sum(coalesce("tokensInput", 0) + coalesce("tokensOutput", 0)), 0)
                             FROM messages m WHERE m."conversationId" = c.id)"#;

/// Quotas whose usage differs from a recount of the user's live files.
pub const QUOTAS_OFF: &str = r#"SELECT count(*) FROM storage_quotas q
    WHERE q."usedStorage" <> (SELECT coalesce(sum(size), 0) FROM storage_files f
                               WHERE f."userId" = q."userId" AND f."deletedAt" IS NULL)
       OR q."fileCount" <> (SELECT count(*) FROM storage_files f
                             WHERE f."userId" = q."userId" AND f."deletedAt" IS NULL)"#;

/// Documents whose chunk count differs from a recount of their chunks.
pub const DOCUMENTS_OFF: &str = r#"SELECT count(*) FROM rag_documents d
    WHERE d."chunkCount" <> (SELECT count(*) FROM rag_chunks c WHERE c."documentId" = d.id)"#;

/// SplitMix64: a small deterministic generator, so a seed replays the same sequence.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a>(&mut self, items: &'a [String]) -> &'a str {
        &items[self.below(items.len())]
    }

    /// A version-4 UUID drawn from the stream.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }

    /// A token count, or NULL one time in five.
    fn tokens(&mut self) -> String {
        if self.chance(20) {
            "NULL".into()
        } else {
            self.below(500).to_string()
        }
    }
}

/// Moves the `k`-th message (in id order) of conversation `from` to conversation `to`, with
/// one more input token, so both conversations' counters change.
pub fn move_message(from: &str, to: &str, k: usize) -> String {
    format!(
        r#"UPDATE messages SET "conversationId" = '{to}', "tokensInput" = coalesce("tokensInput", 0) + 1
           WHERE id = (SELECT id FROM messages WHERE "conversationId" = '{from}' ORDER BY id OFFSET {k} LIMIT 1)"#
    )
}

/// Moves the `k`-th file (in id order) of owner `from` to owner `to`, a byte larger, so both
/// owners' quotas change.
pub fn move_file(from: &str, to: &str, k: usize) -> String {
    format!(
        r#"UPDATE storage_files SET "userId" = '{to}', size = size + 1
           WHERE id = (SELECT id FROM storage_files WHERE "userId" = '{from}' ORDER BY id OFFSET {k} LIMIT 1)"#
    )
}

pub async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
}

/// The ids `sql` lists, as text, in the order it gives.
async fn ids(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    query_strings(db, sql).await
}

/// Runs `steps` random steps, each the SQL `step` draws, checking after each one that `off`
/// counts no row; TRUNCATEs `truncate` half-way. Returns how often each kind of step ran.
async fn drive<F>(
    db: &DatabaseConnection,
    rng: &mut Rng,
    steps: usize,
    (off, truncate): (&str, &str),
    mut step: F,
) -> BTreeMap<&'static str, usize>
where
    F: AsyncFnMut(&DatabaseConnection, &mut Rng) -> (&'static str, String),
{
    let mut kinds = BTreeMap::new();
    for n in 0..steps {
        let (kind, sql) = if n == steps / 2 {
            ("truncate", truncate.to_owned())
        } else {
            step(db, rng).await
        };
        exec(db, &sql).await;
        *kinds.entry(kind).or_insert(0) += 1;
        assert_eq!(
            count(db, off).await,
            0,
            "step {n} ({kind}) broke a counter: {sql}"
        );
    }
    kinds
}

/// dbcheck's recount (the one `verify --deep` runs), in small batches so several are read:
/// no mismatch, and something was counted.
async fn deep_check_passes(db: &DatabaseConnection) -> u64 {
    let recount = dbcheck::counters::check(db, 7).await.expect("recount");
    assert_eq!(
        recount.mismatches,
        Vec::new(),
        "verify --deep found mismatches"
    );
    assert!(recount.batches > 1, "{recount:?}");
    recount.rows
}

const STEPS: usize = 400;

#[tokio::test]
async fn conversation_counters_equal_a_recount_after_random_changes() {
    let test = TestDb::migrated("counters_conversations_random").await;
    let db = &test.db;
    let mut rng = Rng::new(13);
    let user = rng.uuid();
    let session = rng.uuid();
    exec(db, &format!(
        r#"INSERT INTO users (id, email) VALUES ('{user}', 'counters@example.com');
           INSERT INTO agents (id, "createdBy", name, slug, category, model, "endpointUrl")
             VALUES ('{user}', '{user}', 'Agent', 'agent', 'test', 'm', 'https://agent.example');
           INSERT INTO chat_sessions (id, "userId", "lastActivity") VALUES ('{session}', '{user}', now());"#
    )).await;
    for _ in 0..4 {
        exec(db, &new_conversation(&mut rng, &session, &user)).await;
    }
    let ops = async |db: &DatabaseConnection, rng: &mut Rng| {
        let conversations = ids(db, "SELECT id::text FROM conversations ORDER BY id").await;
        let messages = ids(db, "SELECT id::text FROM messages ORDER BY id").await;
        message_step(rng, &conversations, &messages, (&session, &user))
    };
    let truncate = "TRUNCATE messages";
    let kinds = drive(db, &mut rng, STEPS, (CONVERSATIONS_OFF, truncate), ops).await;
    eprintln!("conversation counters: {STEPS} steps {kinds:?}, 0 mismatches");
    assert!(count(db, "SELECT count(*) FROM messages").await > 0);
    deep_check_passes(db).await;
}

/// A conversation inserted with counters it cannot have: they must start at zero.
fn new_conversation(rng: &mut Rng, session: &str, agent: &str) -> String {
    format!(
        r#"INSERT INTO conversations (id, "chatSessionId", "agentId", title, "messageCount", "tokenCount")
           VALUES ('{}', '{session}', '{agent}', 'c', 9, 99)"#,
        rng.uuid()
    )
}

/// One random change of messages or conversations, as SQL.
fn message_step(
    rng: &mut Rng,
    conversations: &[String],
    messages: &[String],
    (session, agent): (&str, &str),
) -> (&'static str, String) {
    if messages.is_empty() {
        return ("insert", new_messages(rng, conversations));
    }
    let m = rng.pick(messages);
    let (c, d) = (rng.pick(conversations), rng.pick(conversations));
    match rng.below(10) {
        0 => ("insert", new_messages(rng, conversations)),
        1 => (
            "edit tokens",
            format!(
                r#"UPDATE messages SET "tokensInput" = {}, "tokensOutput" = {} WHERE id = '{m}'"#,
                rng.tokens(),
                rng.tokens()
            ),
        ),
        2 => (
            "move",
            format!(r#"UPDATE messages SET "conversationId" = '{d}' WHERE id = '{m}'"#),
        ),
        3 => (
            "move and edit",
            format!(
                r#"UPDATE messages SET "conversationId" = '{d}', "tokensOutput" = {} WHERE id = '{m}'"#,
                rng.tokens()
            ),
        ),
        4 => (
            "swap two conversations",
            format!(
                r#"UPDATE messages SET "conversationId" = CASE WHEN "conversationId" = '{c}' THEN '{d}'::uuid ELSE '{c}'::uuid END
               WHERE "conversationId" IN ('{c}', '{d}')"#
            ),
        ),
        5 => (
            "delete",
            format!(
                "DELETE FROM messages WHERE id IN ('{m}', '{}')",
                rng.pick(messages)
            ),
        ),
        6 => (
            "edit content",
            format!("UPDATE messages SET content = content || '!' WHERE id = '{m}'"),
        ),
        _ => conversation_step(rng, conversations, c, (session, agent)),
    }
}

/// One to four messages in random conversations, tokens sometimes NULL.
fn new_messages(rng: &mut Rng, conversations: &[String]) -> String {
    let rows: Vec<String> = (0..1 + rng.below(4))
        .map(|_| {
            let (id, c) = (rng.uuid(), rng.pick(conversations));
            format!(
                "('{id}', '{c}', 'user', 'm', {}, {})",
                rng.tokens(),
                rng.tokens()
            )
        })
        .collect();
    format!(
        r#"INSERT INTO messages (id, "conversationId", role, content, "tokensInput", "tokensOutput") VALUES {}"#,
        rows.join(", ")
    )
}

/// One random change of conversation `c` itself, or of its messages as a group.
fn conversation_step(
    rng: &mut Rng,
    conversations: &[String],
    c: &str,
    (session, agent): (&str, &str),
) -> (&'static str, String) {
    match rng.below(4) {
        0 => ("new conversation", new_conversation(rng, session, agent)),
        1 => (
            "change conversation key",
            format!(
                "UPDATE conversations SET id = '{}' WHERE id = '{c}'",
                rng.uuid()
            ),
        ),
        2 if conversations.len() > 3 => (
            "delete conversation",
            format!("DELETE FROM conversations WHERE id = '{c}'"),
        ),
        _ => (
            "delete by tokens",
            format!(
                r#"DELETE FROM messages WHERE "conversationId" = '{c}' AND "tokensInput" > 400"#
            ),
        ),
    }
}

#[tokio::test]
async fn storage_quotas_equal_a_recount_after_random_changes() {
    let test = TestDb::migrated("counters_quotas_random").await;
    let db = &test.db;
    let mut rng = Rng::new(14);
    for _ in 0..4 {
        exec(db, &new_user(&mut rng)).await;
    }
    // Quotas for all but one user, created after some of their files: the rows start from
    // the users' usage, not from the values inserted.
    exec(
        db,
        &new_file(
            &mut rng,
            &ids(db, "SELECT id::text FROM users ORDER BY id").await,
        ),
    )
    .await;
    exec(db, r#"INSERT INTO storage_quotas ("userId", "maxStorage", "maxFileSize", "maxFiles", "subscriptionTier", "usedStorage", "fileCount")
                SELECT id, 1000000000, 1000000, 1000, 'FREE', 12345, 6 FROM users ORDER BY id OFFSET 1"#).await;
    let ops = async |db: &DatabaseConnection, rng: &mut Rng| {
        let users = ids(db, "SELECT id::text FROM users ORDER BY id").await;
        let files = ids(db, "SELECT id::text FROM storage_files ORDER BY id").await;
        if files.is_empty() {
            ("insert", new_file(rng, &users))
        } else if rng.chance(20) {
            let without = ids(
                db,
                r#"SELECT id::text FROM users u WHERE NOT EXISTS
                (SELECT 1 FROM storage_quotas q WHERE q."userId" = u.id) ORDER BY id"#,
            )
            .await;
            owner_step(rng, &users, &without)
        } else {
            file_step(rng, &users, &files)
        }
    };
    let truncate = "TRUNCATE storage_files CASCADE";
    let kinds = drive(db, &mut rng, STEPS, (QUOTAS_OFF, truncate), ops).await;
    eprintln!("storage quotas: {STEPS} steps {kinds:?}, 0 mismatches");
    assert!(count(db, "SELECT count(*) FROM storage_files").await > 0);
    assert!(
        count(
            db,
            r#"SELECT count(*) FROM storage_quotas WHERE "fileCount" > 0"#
        )
        .await
            > 0
    );
    deep_check_passes(db).await;
}

fn new_user(rng: &mut Rng) -> String {
    let id = rng.uuid();
    format!("INSERT INTO users (id, email) VALUES ('{id}', '{id}@example.com')")
}

/// One to three files of random users; one in ten is born soft-deleted.
fn new_file(rng: &mut Rng, users: &[String]) -> String {
    let rows: Vec<String> = (0..1 + rng.below(3))
        .map(|_| {
            let (id, user) = (rng.uuid(), rng.pick(users));
            let deleted = if rng.chance(10) { "now()" } else { "NULL" };
            format!(
                "('{id}', '{user}', 'f', 'text/plain', {}, '{id}', {deleted})",
                rng.below(10_000)
            )
        })
        .collect();
    format!(
        r#"INSERT INTO storage_files (id, "userId", name, "mimeType", size, "storageKey", "deletedAt") VALUES {}"#,
        rows.join(", ")
    )
}

/// One random change of files, as SQL.
fn file_step(rng: &mut Rng, users: &[String], files: &[String]) -> (&'static str, String) {
    let (f, g) = (rng.pick(files), rng.pick(files));
    let (u, v) = (rng.pick(users), rng.pick(users));
    let size = rng.below(10_000);
    match rng.below(10) {
        0 | 1 => ("insert", new_file(rng, users)),
        2 => (
            "resize",
            format!("UPDATE storage_files SET size = {size} WHERE id = '{f}'"),
        ),
        3 => (
            "change owner",
            format!(r#"UPDATE storage_files SET "userId" = '{u}' WHERE id = '{f}'"#),
        ),
        4 => (
            "change owner and size",
            format!(r#"UPDATE storage_files SET "userId" = '{u}', size = {size} WHERE id = '{f}'"#),
        ),
        5 => (
            "soft delete",
            format!(r#"UPDATE storage_files SET "deletedAt" = now() WHERE id IN ('{f}', '{g}')"#),
        ),
        6 => (
            "undelete, maybe resized and moved",
            format!(
                r#"UPDATE storage_files SET "deletedAt" = NULL,
                 size = CASE WHEN size % 2 = 0 THEN {size} ELSE size END,
                 "userId" = CASE WHEN size % 3 = 0 THEN '{u}'::uuid ELSE "userId" END
               WHERE "deletedAt" IS NOT NULL AND id >= '{f}'"#
            ),
        ),
        7 => (
            "delete",
            format!("DELETE FROM storage_files WHERE id IN ('{f}', '{g}')"),
        ),
        8 => (
            "swap two owners",
            format!(
                r#"UPDATE storage_files SET "userId" = CASE WHEN "userId" = '{u}' THEN '{v}'::uuid ELSE '{u}'::uuid END,
                 size = size + 1 WHERE "userId" IN ('{u}', '{v}')"#
            ),
        ),
        _ => (
            "rename",
            format!("UPDATE storage_files SET name = name || '!' WHERE id = '{f}'"),
        ),
    }
}

/// One random change of users or quota rows, as SQL.
fn owner_step(rng: &mut Rng, users: &[String], without: &[String]) -> (&'static str, String) {
    let u = rng.pick(users);
    match rng.below(6) {
        0 if !without.is_empty() => (
            "new quota",
            format!(
                r#"INSERT INTO storage_quotas ("userId", "maxStorage", "maxFileSize", "maxFiles", "subscriptionTier", "usedStorage", "fileCount")
               VALUES ('{}', 1000000000, 1000000, 1000, 'PRO', 777, 7)"#,
                rng.pick(without)
            ),
        ),
        1 if !without.is_empty() => (
            "move quota",
            format!(
                r#"UPDATE storage_quotas SET "userId" = '{}' WHERE "userId" = '{u}'"#,
                rng.pick(without)
            ),
        ),
        2 => (
            "drop quota",
            format!(r#"DELETE FROM storage_quotas WHERE "userId" = '{u}'"#),
        ),
        3 => (
            "change user key",
            format!("UPDATE users SET id = '{}' WHERE id = '{u}'", rng.uuid()),
        ),
        4 if users.len() > 3 => ("delete user", format!("DELETE FROM users WHERE id = '{u}'")),
        _ => ("new user", new_user(rng)),
    }
}

#[tokio::test]
async fn chunk_counts_equal_a_recount_after_random_changes() {
    let test = TestDb::migrated("counters_chunks_random").await;
    let db = &test.db;
    let mut rng = Rng::new(15);
    let user = rng.uuid();
    exec(
        db,
        &format!("INSERT INTO users (id, email) VALUES ('{user}', 'rag@example.com')"),
    )
    .await;
    for _ in 0..3 {
        exec(db, &new_document(&mut rng, &user)).await;
    }
    let ops = async |db: &DatabaseConnection, rng: &mut Rng| {
        let documents = ids(db, "SELECT id::text FROM rag_documents ORDER BY id").await;
        let chunks = ids(db, "SELECT id::text FROM rag_chunks ORDER BY id").await;
        chunk_step(rng, &documents, &chunks, &user)
    };
    let kinds = drive(
        db,
        &mut rng,
        STEPS / 2,
        (DOCUMENTS_OFF, "TRUNCATE rag_chunks"),
        ops,
    )
    .await;
    eprintln!("chunk counts: {} steps {kinds:?}, 0 mismatches", STEPS / 2);
    assert!(count(db, "SELECT count(*) FROM rag_chunks").await > 0);
    deep_check_passes(db).await;
}

/// A document inserted with a chunk count it cannot have: it must start at zero.
fn new_document(rng: &mut Rng, user: &str) -> String {
    let id = rng.uuid();
    format!(
        r#"INSERT INTO rag_documents (id, "userId", title, "sourceType", "contentHash", status, "chunkCount", "embeddingModel")
           VALUES ('{id}', '{user}', 'd', 'text', '{id}', 'INDEXED', 42, 'm')"#
    )
}

/// One random change of chunks or documents, as SQL. Chunk indexes are drawn from the whole
/// stream, so a chunk moved to another document never collides with one already there.
fn chunk_step(
    rng: &mut Rng,
    documents: &[String],
    chunks: &[String],
    user: &str,
) -> (&'static str, String) {
    if chunks.is_empty() {
        return ("insert", new_chunks(rng, documents));
    }
    let k = rng.pick(chunks);
    let (d, e) = (rng.pick(documents), rng.pick(documents));
    match rng.below(8) {
        0 => ("insert", new_chunks(rng, documents)),
        1 => (
            "move",
            format!(
                r#"UPDATE rag_chunks SET "documentId" = '{e}', "chunkIndex" = {} WHERE id = '{k}'"#,
                rng.next() % 1_000_000_000
            ),
        ),
        2 => (
            "delete",
            format!(
                "DELETE FROM rag_chunks WHERE id IN ('{k}', '{}')",
                rng.pick(chunks)
            ),
        ),
        3 => (
            "swap two documents",
            format!(
                r#"UPDATE rag_chunks SET "documentId" = CASE WHEN "documentId" = '{d}' THEN '{e}'::uuid ELSE '{d}'::uuid END
               WHERE "documentId" IN ('{d}', '{e}')"#
            ),
        ),
        4 => (
            "edit content",
            format!("UPDATE rag_chunks SET content = content || '!' WHERE id = '{k}'"),
        ),
        6 => (
            "change document key",
            format!(
                "UPDATE rag_documents SET id = '{}' WHERE id = '{d}'",
                rng.uuid()
            ),
        ),
        7 if documents.len() > 2 => (
            "delete document",
            format!("DELETE FROM rag_documents WHERE id = '{d}'"),
        ),
        _ => ("new document", new_document(rng, user)),
    }
}

/// One to four chunks in random documents.
fn new_chunks(rng: &mut Rng, documents: &[String]) -> String {
    let index = rng.next() % 1_000_000_000;
    let rows: Vec<String> = (0..1 + rng.below(4))
        .map(|i| {
            let (id, d) = (rng.uuid(), rng.pick(documents));
            format!(
                "('{id}', '{d}', {}, 'c', 1, array_fill(0.5::real, ARRAY[1536])::vector)",
                index + i as u64
            )
        })
        .collect();
    format!(
        r#"INSERT INTO rag_chunks (id, "documentId", "chunkIndex", content, "tokenCount", embedding) VALUES {}"#,
        rows.join(", ")
    )
}
