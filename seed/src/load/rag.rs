//! Phase 4: RAG documents and their chunks with 1536-dimension embeddings.
//!
//! Every fifth user has one indexed document of [`CHUNKS`] chunks; the large tenants
//! (`tenants.rs`) have their extra chunks in further documents of up to [`TAIL_CHUNKS`]. A
//! document is about a few words of the vocabulary, its chunks mostly made of them, and the
//! embeddings are `seed::embedding::embed_words`: deterministic, unit length, and near each
//! other when the texts share words, as real embeddings of one document are.

use rand::Rng;

use super::copy::{Rows, Table};
use super::data::{self, Kind, id, rng};
use super::ids::user_id;
use super::tenants;
use crate::embedding;

pub const TABLES: &[&str] = &["rag_documents", "rag_chunks"];

/// Chunks of an ordinary user's document.
pub const CHUNKS: u64 = 5;

/// Chunks of a full document of a large tenant.
pub const TAIL_CHUNKS: u64 = 1_000;

/// Document slots per user: the ordinary document, then the large tenants' documents. The
/// chunk table is generated one slot at a time, so its memory is one document's whatever the
/// tenant's size.
pub const SLOTS: u64 = 1 + tenants::LARGEST_CAP.div_ceil(TAIL_CHUNKS);

/// The chunks of user `u`'s document in `slot` (0 when there is none).
pub fn chunks(u: u64, slot: u64, scale: u64) -> u64 {
    if slot == 0 {
        return if u.is_multiple_of(5) { CHUNKS } else { 0 };
    }
    let before = (slot - 1) * TAIL_CHUNKS;
    tenants::extra(u, scale)
        .saturating_sub(before)
        .min(TAIL_CHUNKS)
}

/// The chunk table: one unit per document slot of every user.
pub fn chunk_table(scale: u64) -> Table<'static> {
    Table {
        units: scale * SLOTS,
        ..CHUNK_TABLE
    }
}

fn title(u: u64, slot: u64) -> String {
    if slot == 0 {
        format!("Notes of load user {u}")
    } else {
        format!("Knowledge base {slot} of load user {u}")
    }
}

pub const DOCUMENTS: Table<'static> = Table {
    name: "public.rag_documents",
    columns: &[
        "id",
        "userId",
        "title",
        "sourceType",
        "contentHash",
        "status",
        "chunkCount",
        "embeddingModel",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: false,
    units: 0,
};

pub fn document_rows(u: u64, scale: u64, rows: &mut Rows) {
    for slot in 0..SLOTS {
        let chunks = chunks(u, slot, scale);
        if chunks == 0 {
            continue;
        }
        let title = title(u, slot);
        rows.uuid(id(Kind::Document, u, slot, 0))
            .uuid(user_id(u))
            .text(&title)
            .val("upload")
            .val(embedding::sha256_hex(&title))
            .val("INDEXED")
            .val(chunks)
            .val("text-embedding-3-small")
            .ts(data::epoch())
            .ts(data::epoch());
        rows.end();
    }
}

pub const CHUNK_TABLE: Table<'static> = Table {
    name: "public.rag_chunks",
    columns: &[
        "id",
        "documentId",
        "chunkIndex",
        "content",
        "tokenCount",
        "embedding",
        "createdAt",
    ],
    without_triggers: false,
    units: 0,
};

/// The chunks of one document slot, `unit` being `user * SLOTS + slot`.
pub fn chunk_rows(unit: u64, scale: u64, rows: &mut Rows) {
    let (u, slot) = (unit / SLOTS, unit % SLOTS);
    let n = chunks(u, slot, scale);
    if n == 0 {
        return;
    }
    let mut r = rng(Kind::Chunk, u, slot);
    let topic = data::topic(&mut r);
    for c in 0..n {
        let words = r.random_range(60..200);
        let content = data::topical_sentence(&mut r, &topic, words);
        rows.uuid(id(Kind::Chunk, u, slot, c))
            .uuid(id(Kind::Document, u, slot, 0))
            .val(c)
            .text(&content)
            .val(words * 4 / 3)
            .vector(&embedding::embed_words(&content))
            .ts(data::epoch());
        rows.end();
    }
}

/// The embedding of the `i`th question a user asks of their documents: a new text on the
/// topic of one of them (in turn), so its nearest chunks are that document's and its
/// neighbours', as a real question's are. `None` for a user without chunks.
pub fn question(u: u64, scale: u64, i: u64) -> Option<Vec<f32>> {
    let slots: Vec<u64> = (0..SLOTS).filter(|s| chunks(u, *s, scale) > 0).collect();
    let slot = *slots.get((i as usize) % slots.len().max(1))?;
    let topic = data::topic(&mut rng(Kind::Chunk, u, slot));
    let mut r = rng(Kind::Content, u, 2_000_000 + i);
    let text = data::topical_sentence(&mut r, &topic, 16);
    Some(embedding::embed_words(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_tenants_chunks_fill_its_documents_and_no_more() {
        let scale = 5_000;
        let total: u64 = (0..SLOTS)
            .map(|s| chunks(tenants::LARGEST_TENANT, s, scale))
            .sum();
        assert_eq!(total, tenants::extra(tenants::LARGEST_TENANT, scale));
        assert_eq!(chunks(5, 0, scale), CHUNKS);
        assert_eq!(chunks(6, 0, scale), 0);
    }

    #[test]
    fn a_question_is_near_the_chunks_of_its_document() {
        let q = question(5, 5_000, 0).expect("user 5 has a document");
        let mut r = rng(Kind::Chunk, 5, 0);
        let topic = data::topic(&mut r);
        let chunk = embedding::embed_words(&data::topical_sentence(&mut r, &topic, 100));
        let other = question(10, 5_000, 0).expect("user 10 has a document");
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        assert!(
            dot(&q, &chunk) > dot(&q, &other),
            "{} {}",
            dot(&q, &chunk),
            dot(&q, &other)
        );
        assert!(
            question(4_999, 5_000, 0).is_none(),
            "user 4999 has no chunks"
        );
    }
}
