//! Encryption of OAuth tokens at rest (AES-256-GCM), for `mcp_integrations`' BYTEA columns.
//!
//! A stored token is `nonce (12 bytes) || ciphertext || tag (16 bytes)`: the nonce is random
//! per encryption and travels with the ciphertext, so the key is the only secret. The key
//! comes from the environment ([`TOKEN_ENCRYPTION_KEY_VAR`]), never from the database or the
//! repository; [`TokenCipher::dev`] is a fixed, public key for development data only.

use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The environment variable holding the key: 32 bytes in standard base64 (with padding,
/// 44 characters), e.g. the output of `openssl rand -base64 32`.
pub const TOKEN_ENCRYPTION_KEY_VAR: &str = "TOKEN_ENCRYPTION_KEY";

/// Key length of AES-256.
const KEY_LEN: usize = 32;
/// Nonce length of AES-GCM (96 bits, the standard size).
const NONCE_LEN: usize = 12;
/// Authentication tag length of AES-GCM.
const TAG_LEN: usize = 16;

/// Hashed into the development key. It is public on purpose: anything encrypted with
/// [`TokenCipher::dev`] must be treated as plaintext.
const DEV_KEY_SEED: &str =
    "cjhirashi-agents DEV-ONLY token key: NOT SECRET, never use for real tokens";

/// Encrypts and decrypts tokens with one AES-256-GCM key.
#[derive(Clone)]
pub struct TokenCipher {
    cipher: Aes256Gcm,
}

impl fmt::Debug for TokenCipher {
    // The key never appears in logs or panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCipher { key: <redacted> }")
    }
}

impl TokenCipher {
    /// The cipher for a raw 32-byte key; any other length is refused.
    pub fn from_key(key: &[u8]) -> anyhow::Result<TokenCipher> {
        if key.len() != KEY_LEN {
            bail!(
                "a token encryption key must be {KEY_LEN} bytes (AES-256), got {}",
                key.len()
            );
        }
        let cipher = Aes256Gcm::new_from_slice(key).context("AES-256 key")?;
        Ok(TokenCipher { cipher })
    }

    /// The cipher for a key written in standard base64, as [`TOKEN_ENCRYPTION_KEY_VAR`] holds it.
    pub fn from_base64(encoded: &str) -> anyhow::Result<TokenCipher> {
        let key = STANDARD
            .decode(encoded.trim())
            .context("the token encryption key is not valid standard base64")?;
        TokenCipher::from_key(&key)
    }

    /// The cipher for the key in [`TOKEN_ENCRYPTION_KEY_VAR`]; fails, without echoing the
    /// value, when it is unset or not 32 bytes of base64.
    pub fn from_env() -> anyhow::Result<TokenCipher> {
        let encoded = std::env::var(TOKEN_ENCRYPTION_KEY_VAR).map_err(|_| {
            anyhow!(
                "{TOKEN_ENCRYPTION_KEY_VAR} is not set: set it to 32 random bytes in base64 (`openssl rand -base64 32`)"
            )
        })?;
        TokenCipher::from_base64(&encoded)
            .with_context(|| format!("read {TOKEN_ENCRYPTION_KEY_VAR}"))
    }

    /// DEV-ONLY: a fixed key (SHA-256 of a public string), so seeded development tokens
    /// decrypt on every machine. It protects nothing; never use it for real tokens.
    pub fn dev() -> TokenCipher {
        let key = Sha256::digest(DEV_KEY_SEED.as_bytes());
        TokenCipher::from_key(&key).expect("SHA-256 output is 32 bytes")
    }

    /// `nonce || ciphertext || tag`, with a fresh random nonce, so encrypting the same
    /// plaintext twice gives different blobs.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // AES-GCM only fails for plaintexts beyond 64 GiB, far past any token.
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext)
            .expect("AES-GCM encrypts any token-sized plaintext");
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        blob
    }

    /// The plaintext of a blob made by [`TokenCipher::encrypt`] with the same key; fails when
    /// the blob was altered, truncated or made with another key.
    pub fn decrypt(&self, blob: &[u8]) -> anyhow::Result<Vec<u8>> {
        if blob.len() < NONCE_LEN + TAG_LEN {
            bail!(
                "an encrypted token is at least {} bytes (nonce and tag), got {}",
                NONCE_LEN + TAG_LEN,
                blob.len()
            );
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().context("nonce length")?;
        self.cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| anyhow!("the encrypted token does not decrypt: altered, or another key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &[u8] = b"gho_exampleAccessToken1234567890";

    #[test]
    fn a_token_round_trips() {
        let cipher = TokenCipher::dev();
        let blob = cipher.encrypt(TOKEN);
        assert_eq!(blob.len(), NONCE_LEN + TOKEN.len() + TAG_LEN);
        assert_eq!(cipher.decrypt(&blob).unwrap(), TOKEN);
    }

    #[test]
    fn a_tampered_blob_is_refused() {
        let cipher = TokenCipher::dev();
        let blob = cipher.encrypt(TOKEN);
        for i in [0, NONCE_LEN, blob.len() - 1] {
            let mut tampered = blob.clone();
            tampered[i] ^= 0x01;
            assert!(cipher.decrypt(&tampered).is_err(), "byte {i} flipped");
        }
        assert!(cipher.decrypt(&blob[..blob.len() - 1]).is_err());
        assert!(cipher.decrypt(&blob[..NONCE_LEN]).is_err());
    }

    #[test]
    fn ciphertext_hides_the_plaintext_and_differs_each_time() {
        let cipher = TokenCipher::dev();
        let first = cipher.encrypt(TOKEN);
        let second = cipher.encrypt(TOKEN);
        assert_ne!(first, second);
        assert_ne!(first[..NONCE_LEN], second[..NONCE_LEN]);
        assert!(!first.windows(TOKEN.len()).any(|w| w == TOKEN));
    }

    #[test]
    fn another_key_cannot_decrypt() {
        let blob = TokenCipher::dev().encrypt(TOKEN);
        let other = TokenCipher::from_key(&[7; KEY_LEN]).unwrap();
        assert!(other.decrypt(&blob).is_err());
    }

    #[test]
    fn a_wrong_length_key_is_refused_with_a_clear_error() {
        let err = TokenCipher::from_key(&[0; 16]).unwrap_err().to_string();
        assert!(
            err.contains("must be 32 bytes") && err.contains("got 16"),
            "{err}"
        );
        let short = STANDARD.encode([0u8; 31]);
        let err = format!("{:#}", TokenCipher::from_base64(&short).unwrap_err());
        assert!(err.contains("got 31"), "{err}");
        let err = format!("{:#}", TokenCipher::from_base64("not base64!").unwrap_err());
        assert!(err.contains("base64"), "{err}");
    }

    #[test]
    fn a_base64_key_works_like_the_raw_key() {
        let key = [42u8; KEY_LEN];
        let blob = TokenCipher::from_key(&key).unwrap().encrypt(TOKEN);
        let decoded = TokenCipher::from_base64(&STANDARD.encode(key)).unwrap();
        assert_eq!(decoded.decrypt(&blob).unwrap(), TOKEN);
    }

    #[test]
    fn debug_output_does_not_show_the_key() {
        assert_eq!(
            format!("{:?}", TokenCipher::dev()),
            "TokenCipher { key: <redacted> }"
        );
    }
}
