//! Unit tests of the envelope and the keyring: round trips, tampering, moved values, keys.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use sha2::Digest;

use super::*;

const REACTION: &str = "health.allergies.reaction";
const NOTES: &str = "health.medical_conditions.notes";

fn ring(id: &str, byte: u8) -> Keyring {
    Keyring::new(id, &[byte; 32]).unwrap()
}

#[test]
fn a_sealed_value_opens_to_its_plaintext_and_hides_it() {
    let ring = ring("k1", 1);
    let envelope = ring.seal(REACTION, b"hives and swelling");
    assert!(envelope.starts_with("v1:k1:"), "{envelope}");
    assert!(!envelope.contains("hives"));
    assert_eq!(
        ring.open(REACTION, &envelope).unwrap(),
        b"hives and swelling"
    );
    assert_ne!(
        envelope,
        ring.seal(REACTION, b"hives and swelling"),
        "fresh nonce each time"
    );
}

#[test]
fn every_altered_byte_is_refused() {
    let ring = ring("k1", 1);
    let envelope = ring.seal(REACTION, b"penicillin rash");
    let blob = STANDARD.decode(&envelope["v1:k1:".len()..]).unwrap();
    for i in 0..blob.len() {
        let mut altered = blob.clone();
        altered[i] ^= 0x01;
        let text = format!("v1:k1:{}", STANDARD.encode(&altered));
        let err = ring.open(REACTION, &text).unwrap_err();
        assert!(matches!(err, SealError::Refused { .. }), "byte {i}: {err}");
    }
    let truncated = format!("v1:k1:{}", STANDARD.encode(&blob[..20]));
    assert!(ring.open(REACTION, &truncated).is_err());
}

#[test]
fn a_value_moved_to_another_column_is_refused() {
    let ring = ring("k1", 1);
    let envelope = ring.seal(REACTION, b"anaphylaxis");
    let err = ring.open(NOTES, &envelope).unwrap_err();
    assert_eq!(
        err.to_string(),
        "health.medical_conditions.notes does not open with key `k1`: the value was altered or copied from another column, or APP_ENCRYPTION_KEYS gives `k1` the wrong key"
    );
}

#[test]
fn a_relabelled_key_id_is_refused_even_when_both_keys_are_the_same() {
    let both = Keyring::new("a", &[5; 32])
        .unwrap()
        .with_key("b", &[5; 32])
        .unwrap();
    let envelope = both.seal(REACTION, b"x");
    let relabelled = envelope.replacen("v1:a:", "v1:b:", 1);
    assert!(matches!(
        both.open(REACTION, &relabelled),
        Err(SealError::Refused { .. })
    ));
}

#[test]
fn a_wrong_key_under_the_same_id_is_refused() {
    let envelope = ring("k1", 1).seal(REACTION, b"secret");
    let err = ring("k1", 2).open(REACTION, &envelope).unwrap_err();
    assert!(matches!(err, SealError::Refused { .. }), "{err}");
}

#[test]
fn a_missing_key_names_the_fix() {
    let envelope = ring("old", 1).seal(REACTION, b"secret");
    let err = ring("new", 2).open(REACTION, &envelope).unwrap_err();
    assert_eq!(
        err.to_string(),
        "health.allergies.reaction is sealed with key `old`, which is not configured: add `old:<base64 key>` to APP_ENCRYPTION_KEYS after the current key"
    );
}

#[test]
fn plaintext_is_not_an_envelope() {
    let err = ring("k1", 1).open(REACTION, "Hives").unwrap_err();
    assert!(matches!(err, SealError::NotSealed { .. }));
    assert!(
        err.to_string().contains("rotate-key --seal-plaintext"),
        "{err}"
    );
    assert_eq!(key_id_of("Hives"), None);
    assert_eq!(key_id_of("v1:k1:AAAA"), Some("k1"));
    assert_eq!(key_id_of("v1:bad id:AAAA"), None);
}

#[test]
fn the_first_key_of_the_variable_is_current_and_the_others_still_open() {
    let spec = format!(
        "new:{},old:{}",
        STANDARD.encode([2; 32]),
        STANDARD.encode([1; 32])
    );
    let parsed = Keyring::parse(&spec).unwrap();
    assert_eq!(parsed.current_id(), "new");
    assert_eq!(parsed.ids().collect::<Vec<_>>(), ["new", "old"]);
    let old = ring("old", 1).seal(REACTION, b"kept");
    assert_eq!(parsed.open(REACTION, &old).unwrap(), b"kept");
    assert!(parsed.seal(REACTION, b"x").starts_with("v1:new:"));
}

#[test]
fn malformed_key_lists_are_refused_with_the_fix() {
    let short = format!("k:{}", STANDARD.encode([0; 16]));
    let cases = [
        ("k1", "no `:`"),
        ("k1:not base64!", "openssl rand"),
        (short.as_str(), "got 16"),
        ("", "holds no key"),
        ("bad id:AAAA", "letters, digits"),
    ];
    for (spec, expected) in cases {
        let err = Keyring::parse(spec).unwrap_err().to_string();
        assert!(err.contains(expected), "{spec}: {err}");
    }
    let twice = format!("a:{k},a:{k}", k = STANDARD.encode([0; 32]));
    assert!(
        Keyring::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
}

#[test]
fn tokens_round_trip_and_legacy_blobs_still_open() {
    let ring = Keyring::dev();
    let stored = seal_token(&ring, &ACCESS_TOKEN, "gho_abc");
    assert!(stored.starts_with(b"v1:dev:"));
    assert_eq!(
        open_token(&ring, &ACCESS_TOKEN, &stored).unwrap(),
        "gho_abc"
    );
    assert!(
        open_token(&ring, &REFRESH_TOKEN, &stored).is_err(),
        "column bound"
    );

    // The format before envelopes: nonce | ciphertext | tag, no associated data.
    let legacy_cipher = Aes256Gcm::new_from_slice(&[9; 32]).unwrap();
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut legacy = nonce.to_vec();
    legacy.extend(
        legacy_cipher
            .encrypt(&nonce, b"gho_old".as_slice())
            .unwrap(),
    );
    let with_old = Keyring::dev().with_key("token", &[9; 32]).unwrap();
    assert_eq!(
        open_token(&with_old, &ACCESS_TOKEN, &legacy).unwrap(),
        "gho_old"
    );
    let err = open_token(&ring, &ACCESS_TOKEN, &legacy)
        .unwrap_err()
        .to_string();
    assert!(err.contains("add the old TOKEN_ENCRYPTION_KEY"), "{err}");
}

#[test]
fn the_token_columns_are_the_two_of_mcp_integrations() {
    assert_eq!(TOKEN_COLUMNS, [ACCESS_TOKEN, REFRESH_TOKEN]);
    assert_eq!(
        ACCESS_TOKEN.qualified(),
        "public.mcp_integrations.accessTokenEncrypted"
    );
}

#[test]
fn the_dev_keyring_is_the_old_dev_token_key() {
    // Tokens seeded before envelopes used SHA-256 of the same public string.
    let key = sha2::Sha256::digest(
        b"cjhirashi-agents DEV-ONLY token key: NOT SECRET, never use for real tokens",
    );
    assert_eq!(Keyring::dev(), Keyring::new(DEV_KEY_ID, &key).unwrap());
}
