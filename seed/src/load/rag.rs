//! Phase 4: RAG documents and their chunks with 1536-dimension embeddings.
//!
//! Every fifth user has one indexed document of [`CHUNKS`] chunks; embeddings come from
//! `seed::embedding`, so they are deterministic and unit length.

use rand::Rng;

use super::copy::{Rows, Table};
use super::data::{self, Kind, id, rng};
use super::ids::user_id;
use crate::embedding;

pub const TABLES: &[&str] = &["rag_documents", "rag_chunks"];

/// Chunks per document.
pub const CHUNKS: u64 = 5;

fn has_document(u: u64) -> bool {
    u.is_multiple_of(5)
}

fn title(u: u64) -> String {
    format!("Notes of load user {u}")
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

pub fn document_rows(u: u64, rows: &mut Rows) {
    if !has_document(u) {
        return;
    }
    let title = title(u);
    rows.uuid(id(Kind::Document, u, 0, 0))
        .uuid(user_id(u))
        .text(&title)
        .val("upload")
        .val(embedding::sha256_hex(&title))
        .val("INDEXED")
        .val(CHUNKS)
        .val("text-embedding-3-small")
        .ts(data::epoch())
        .ts(data::epoch());
    rows.end();
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

pub fn chunk_rows(u: u64, rows: &mut Rows) {
    if !has_document(u) {
        return;
    }
    let mut r = rng(Kind::Chunk, u, 0);
    for c in 0..CHUNKS {
        let words = r.random_range(60..200);
        let content = data::sentence(&mut r, words);
        rows.uuid(id(Kind::Chunk, u, 0, c))
            .uuid(id(Kind::Document, u, 0, 0))
            .val(c)
            .text(&content)
            .val(words * 4 / 3)
            .vector(&embedding::embed(&content))
            .ts(data::epoch());
        rows.end();
    }
}
