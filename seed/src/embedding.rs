//! Deterministic stand-in embeddings: a unit vector per text, with no model behind it.
//!
//! The dev seed and the tests need `vector(1536)` values that are stable across runs and
//! machines; identical texts give identical vectors, different texts nearly orthogonal ones.
//! They carry no meaning, so similarity between different texts is noise.

use sha2::{Digest, Sha256};

/// The dimension of `rag_chunks.embedding` (OpenAI's `text-embedding-3-small`).
pub const DIMENSION: usize = 1536;

/// An L2-normalised vector of [`DIMENSION`] floats derived from SHA-256 of `text`.
///
/// Block `i` is `SHA-256(i || text)`, read as eight `u32`s mapped to `[-1, 1)`; the whole is
/// then scaled to length 1, so cosine distance equals `1 - dot product`.
pub fn embed(text: &str) -> Vec<f32> {
    let mut values = Vec::with_capacity(DIMENSION);
    let mut block: u32 = 0;
    while values.len() < DIMENSION {
        let digest = Sha256::new()
            .chain_update(block.to_le_bytes())
            .chain_update(text.as_bytes())
            .finalize();
        for word in digest.chunks_exact(4) {
            let n = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            // The top 24 bits fit an f32 mantissa exactly.
            let unit = f64::from(n >> 8) / f64::from(1u32 << 24);
            values.push((unit * 2.0 - 1.0) as f32);
        }
        block += 1;
    }
    values.truncate(DIMENSION);
    let norm = values
        .iter()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        .sqrt();
    values
        .iter()
        .map(|v| (f64::from(*v) / norm) as f32)
        .collect()
}

/// A stand-in embedding with the shape of a real one: the normalised sum of [`embed`] of each
/// word of `text` (split at whitespace), so texts that share words are near each other and a
/// corpus of them has the low intrinsic dimension that approximate nearest-neighbour indexes
/// rely on. [`embed`] of whole texts, nearly orthogonal to each other, is the case where no
/// such index can beat reading every vector.
pub fn embed_words(text: &str) -> Vec<f32> {
    thread_local! {
        static WORDS: std::cell::RefCell<std::collections::HashMap<String, Vec<f32>>> =
            std::cell::RefCell::default();
    }
    let mut sum = vec![0f64; DIMENSION];
    WORDS.with_borrow_mut(|cache| {
        for word in text.split_whitespace() {
            let vector = cache.entry(word.to_owned()).or_insert_with(|| embed(word));
            for (s, v) in sum.iter_mut().zip(vector.iter()) {
                *s += f64::from(*v);
            }
        }
    });
    let norm = sum
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt()
        .max(f64::EPSILON);
    sum.iter().map(|v| (v / norm) as f32).collect()
}

/// `v` in pgvector's text form, `[x,y,...]`, as a query parameter or literal takes it.
pub fn text(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(f32::to_string).collect();
    format!("[{}]", parts.join(","))
}

/// The lowercase hex SHA-256 of `text`, the form of `rag_documents."contentHash"`.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum()
    }

    #[test]
    fn embeddings_are_deterministic_unit_vectors() {
        let a = embed("useEffect runs after render");
        assert_eq!(a.len(), DIMENSION);
        assert_eq!(a, embed("useEffect runs after render"));
        assert!((dot(&a, &a) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn different_texts_are_far_apart() {
        let a = embed("one");
        let b = embed("two");
        assert_ne!(a, b);
        assert!(dot(&a, &b).abs() < 0.2, "{}", dot(&a, &b));
    }

    #[test]
    fn texts_sharing_words_are_nearer_than_texts_that_do_not() {
        let a = embed_words("budget invoice budget payment");
        let b = embed_words("budget invoice payment report");
        let c = embed_words("sleep steps glucose health");
        assert!((dot(&a, &a) - 1.0).abs() < 1e-5);
        assert!(dot(&a, &b) > 0.6, "{}", dot(&a, &b));
        assert!(dot(&a, &c).abs() < 0.2, "{}", dot(&a, &c));
        assert_eq!(a, embed_words("budget invoice budget payment"));
    }

    #[test]
    fn content_hash_is_sha256_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
