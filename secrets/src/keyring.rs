//! The keyring (key id to AES-256-GCM key, one current key for writes) and the sealed envelope.
//!
//! A sealed value is the text `v1:<key id>:<base64(nonce | ciphertext | tag)>`: a random
//! 96-bit nonce per value, and as associated data the envelope's version, the key id and the
//! column it belongs to, so a value copied into another column, or relabelled with another
//! key id, fails to open instead of decrypting.

use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::SealError;

/// The environment variable of the keyring: `<id>:<base64 key>` entries separated by commas,
/// the first one the current key (writes), the others kept for reading older values.
pub const KEYS_VAR: &str = "APP_ENCRYPTION_KEYS";

/// The variable of the single token key used before key ids existed; still read, as the key
/// [`TOKEN_KEY_ID`] (the current key when [`KEYS_VAR`] is unset).
pub const TOKEN_KEY_VAR: &str = "TOKEN_ENCRYPTION_KEY";

/// The key id given to the key in [`TOKEN_KEY_VAR`].
pub const TOKEN_KEY_ID: &str = "token";

/// The key id of [`Keyring::dev`].
pub const DEV_KEY_ID: &str = "dev";

/// The envelope's version prefix.
const VERSION: &str = "v1";
/// Key length of AES-256.
const KEY_LEN: usize = 32;
/// Nonce length of AES-GCM (96 bits).
const NONCE_LEN: usize = 12;
/// Authentication tag length of AES-GCM.
const TAG_LEN: usize = 16;
/// The longest key id; ids are letters, digits, `_` and `-` so the envelope stays parseable.
const MAX_ID_LEN: usize = 32;

/// Hashed into the development key. It is public on purpose: anything sealed with
/// [`Keyring::dev`] must be treated as plaintext.
const DEV_KEY_SEED: &str =
    "cjhirashi-agents DEV-ONLY token key: NOT SECRET, never use for real tokens";

/// One key: its id, the cipher with its key schedule expanded once, and a fingerprint
/// (SHA-256 of the key) so two keyrings can be compared without keeping the key around.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
    fingerprint: [u8; 32],
}

/// Keys by id; the first is the current one, used for every write.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl fmt::Debug for Keyring {
    // Key ids are safe to show; keys never appear in logs or panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        write!(f, "Keyring {{ ids: {ids:?}, keys: <redacted> }}")
    }
}

impl PartialEq for Keyring {
    fn eq(&self, other: &Keyring) -> bool {
        let facts = |r: &Keyring| -> Vec<(String, [u8; 32])> {
            r.keys
                .iter()
                .map(|k| (k.id.clone(), k.fingerprint))
                .collect()
        };
        facts(self) == facts(other)
    }
}

impl Keyring {
    /// A keyring whose current key is `key` under `id`.
    pub fn new(id: &str, key: &[u8]) -> Result<Keyring, SealError> {
        Ok(Keyring {
            keys: vec![make_key(id, key)?],
        })
    }

    /// This keyring with `key` added for reading (the current key stays the current key).
    pub fn with_key(mut self, id: &str, key: &[u8]) -> Result<Keyring, SealError> {
        if self.keys.iter().any(|k| k.id == id) {
            return Err(SealError::config(format!(
                "key id `{id}` appears twice: give each key its own id"
            )));
        }
        self.keys.push(make_key(id, key)?);
        Ok(self)
    }

    /// Parses `<id>:<base64 key>[,<id>:<base64 key>...]`, the first entry current.
    pub fn parse(spec: &str) -> Result<Keyring, SealError> {
        let mut ring: Option<Keyring> = None;
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry.split_once(':').ok_or_else(|| {
                SealError::config(format!(
                    "{KEYS_VAR} entries are `<id>:<base64 key>`: one entry has no `:`"
                ))
            })?;
            let key = STANDARD.decode(encoded.trim()).map_err(|_| {
                SealError::config(format!(
                    "key `{id}` in {KEYS_VAR} is not standard base64: use `openssl rand -base64 32`"
                ))
            })?;
            ring = Some(match ring {
                None => Keyring::new(id.trim(), &key)?,
                Some(r) => r.with_key(id.trim(), &key)?,
            });
        }
        ring.ok_or_else(|| SealError::config(format!("{KEYS_VAR} holds no key")))
    }

    /// The keyring the environment configures: [`KEYS_VAR`], plus the legacy [`TOKEN_KEY_VAR`]
    /// as key [`TOKEN_KEY_ID`] (current only when [`KEYS_VAR`] is unset). `None` when
    /// neither is set.
    pub fn from_env() -> Result<Option<Keyring>, SealError> {
        let keys = std::env::var(KEYS_VAR).ok();
        let token = match std::env::var(TOKEN_KEY_VAR) {
            Ok(encoded) => Some(STANDARD.decode(encoded.trim()).map_err(|_| {
                SealError::config(format!(
                    "{TOKEN_KEY_VAR} is not standard base64: use `openssl rand -base64 32`"
                ))
            })?),
            Err(_) => None,
        };
        let ring = match (keys, token) {
            (None, None) => return Ok(None),
            (None, Some(token)) => Keyring::new(TOKEN_KEY_ID, &token)?,
            (Some(spec), None) => Keyring::parse(&spec)?,
            (Some(spec), Some(token)) => {
                let ring = Keyring::parse(&spec)?;
                let fingerprint: [u8; 32] = Sha256::digest(&token).into();
                if ring.keys.iter().any(|k| k.fingerprint == fingerprint) {
                    ring
                } else {
                    ring.with_key(TOKEN_KEY_ID, &token)?
                }
            }
        };
        Ok(Some(ring))
    }

    /// DEV-ONLY: a fixed key (SHA-256 of a public string) under id [`DEV_KEY_ID`], so seeded
    /// development data opens on every machine. It protects nothing.
    pub fn dev() -> Keyring {
        let key = Sha256::digest(DEV_KEY_SEED.as_bytes());
        Keyring::new(DEV_KEY_ID, &key).expect("SHA-256 output is 32 bytes")
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// The ids of every key, the current one first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    /// `plaintext` sealed for `column` with the current key and a fresh random nonce.
    pub fn seal(&self, column: &str, plaintext: &[u8]) -> String {
        let key = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = associated_data(&key.id, column);
        // AES-GCM only fails for plaintexts beyond 64 GiB, far past any column value.
        let ciphertext = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any column-sized plaintext");
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        format!("{VERSION}:{}:{}", key.id, STANDARD.encode(blob))
    }

    /// The plaintext of an envelope sealed for `column`; fails, naming the column and the key,
    /// when the key is not in this keyring, or the text was altered or belongs elsewhere.
    pub fn open(&self, column: &str, envelope: &str) -> Result<Vec<u8>, SealError> {
        let (id, blob) = parse_envelope(envelope).ok_or_else(|| SealError::NotSealed {
            column: column.into(),
        })?;
        let key = self.key(id).ok_or_else(|| SealError::UnknownKey {
            column: column.into(),
            key_id: id.into(),
        })?;
        let aad = associated_data(id, column);
        let refused = || SealError::Refused {
            column: column.into(),
            key_id: id.into(),
        };
        let (nonce, ciphertext) = split_blob(&blob).ok_or_else(refused)?;
        key.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| refused())
    }

    /// The plaintext of a token blob written before envelopes existed (`nonce | ciphertext |
    /// tag`, no key id, no associated data), tried against every key: a wrong key fails
    /// authentication, so the first key that opens it is the right one.
    pub fn open_legacy(&self, column: &str, blob: &[u8]) -> Result<Vec<u8>, SealError> {
        let (nonce, ciphertext) = split_blob(blob).ok_or_else(|| SealError::NotSealed {
            column: column.into(),
        })?;
        self.keys
            .iter()
            .find_map(|k| k.cipher.decrypt(&nonce, ciphertext).ok())
            .ok_or_else(|| SealError::LegacyRefused {
                column: column.into(),
            })
    }

    fn key(&self, id: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id)
    }
}

/// The key id of an envelope, if `text` is one.
pub fn key_id_of(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(VERSION)?.strip_prefix(':')?;
    let (id, _) = rest.split_once(':')?;
    valid_id(id).then_some(id)
}

fn make_key(id: &str, key: &[u8]) -> Result<Key, SealError> {
    if !valid_id(id) {
        return Err(SealError::config(format!(
            "key id `{id}` must be 1 to {MAX_ID_LEN} letters, digits, `_` or `-`"
        )));
    }
    if key.len() != KEY_LEN {
        return Err(SealError::config(format!(
            "key `{id}` must be {KEY_LEN} bytes (AES-256), got {}: use `openssl rand -base64 32`",
            key.len()
        )));
    }
    let cipher = Aes256Gcm::new_from_slice(key).expect("the length was checked");
    Ok(Key {
        id: id.into(),
        cipher,
        fingerprint: Sha256::digest(key).into(),
    })
}

fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What the tag authenticates besides the ciphertext: the version, the key id and the column.
fn associated_data(key_id: &str, column: &str) -> String {
    format!("{VERSION}:{key_id}:{column}")
}

/// The key id and the decoded blob of an envelope.
fn parse_envelope(envelope: &str) -> Option<(&str, Vec<u8>)> {
    let id = key_id_of(envelope)?;
    let encoded = &envelope[VERSION.len() + id.len() + 2..];
    Some((id, STANDARD.decode(encoded).ok()?))
}

/// The nonce and the ciphertext (with its tag) of a blob long enough to hold both.
fn split_blob(blob: &[u8]) -> Option<(Nonce<aes_gcm::aead::consts::U12>, &[u8])> {
    if blob.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    Some((Nonce::from(nonce), ciphertext))
}
