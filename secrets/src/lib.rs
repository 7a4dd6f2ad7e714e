//! Secrets at rest: the keyring and the sealed envelope of every encrypted column.
//!
//! Every encrypted value of the database goes through here: the medical free text of `health`
//! (through `entity::sealed::Sealed`, the column type that seals on write and opens on read)
//! and the MCP OAuth tokens (envelopes stored as bytes). The keys come from the environment
//! ([`KEYS_VAR`], and the older [`TOKEN_KEY_VAR`]), never from the database or the
//! repository. No database dependency: the shipped `migration` binary's `rotate-key` uses it
//! without the entities.

mod keyring;

use std::fmt;
use std::sync::OnceLock;

pub use keyring::{DEV_KEY_ID, KEYS_VAR, Keyring, TOKEN_KEY_ID, TOKEN_KEY_VAR, key_id_of};

/// Why a value could not be sealed or opened. Each message is one line naming the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// The keys are missing or malformed.
    Config(String),
    /// The value is not an envelope (plaintext, or truncated).
    NotSealed { column: String },
    /// The envelope names a key the keyring does not hold.
    UnknownKey { column: String, key_id: String },
    /// The key is there but the value does not authenticate: altered, moved, or wrong key.
    Refused { column: String, key_id: String },
    /// A pre-envelope token that no configured key opens.
    LegacyRefused { column: String },
}

impl SealError {
    pub(crate) fn config(message: String) -> SealError {
        SealError::Config(message)
    }
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::Config(message) => f.write_str(message),
            SealError::NotSealed { column } => write!(
                f,
                "{column} holds a value that is not sealed (`v1:<key id>:<base64>`): run `migration rotate-key --seal-plaintext`"
            ),
            SealError::UnknownKey { column, key_id } => write!(
                f,
                "{column} is sealed with key `{key_id}`, which is not configured: add `{key_id}:<base64 key>` to {KEYS_VAR} after the current key"
            ),
            SealError::Refused { column, key_id } => write!(
                f,
                "{column} does not open with key `{key_id}`: the value was altered or copied from another column, or {KEYS_VAR} gives `{key_id}` the wrong key"
            ),
            SealError::LegacyRefused { column } => write!(
                f,
                "{column} holds a token sealed before key ids and no configured key opens it: add the old {TOKEN_KEY_VAR} to {KEYS_VAR}"
            ),
        }
    }
}

impl std::error::Error for SealError {}

/// A column whose values are sealed: where it is, as the envelope's associated data names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnRef {
    pub schema: &'static str,
    pub table: &'static str,
    /// The column's name in the database (camelCase).
    pub column: &'static str,
    /// Whether the column is `BYTEA` (the tokens) rather than `TEXT`.
    pub bytes: bool,
}

impl ColumnRef {
    /// `schema.table.column`, the associated data of the column's envelopes.
    pub fn qualified(&self) -> String {
        format!("{}.{}.{}", self.schema, self.table, self.column)
    }
}

const fn text(table: &'static str, column: &'static str) -> ColumnRef {
    ColumnRef {
        schema: "health",
        table,
        column,
        bytes: false,
    }
}

const fn token(column: &'static str) -> ColumnRef {
    ColumnRef {
        schema: "public",
        table: "mcp_integrations",
        column,
        bytes: true,
    }
}

/// The medical free text of `health`, sealed through the entities' `Sealed` columns.
pub const MEDICAL_COLUMNS: &[ColumnRef] = &[
    text("allergies", "reaction"),
    text("health_profiles", "notes"),
    text("medical_appointments", "notes"),
    text("medical_conditions", "notes"),
    text("medication_logs", "notes"),
    text("medications", "instructions"),
];

/// The MCP OAuth tokens, envelopes stored as bytes (`BYTEA`).
pub const TOKEN_COLUMNS: &[ColumnRef] = &[
    token("accessTokenEncrypted"),
    token("refreshTokenEncrypted"),
];

/// The access token's column, as [`TOKEN_COLUMNS`] lists it.
pub const ACCESS_TOKEN: ColumnRef = token("accessTokenEncrypted");
/// The refresh token's column, as [`TOKEN_COLUMNS`] lists it.
pub const REFRESH_TOKEN: ColumnRef = token("refreshTokenEncrypted");

static PROCESS: OnceLock<Keyring> = OnceLock::new();

/// Makes `ring` the keyring the entities' `Sealed` columns use in this process. Installing the same
/// keyring again is harmless; a different one is refused, since values read or written under
/// the first would silently change meaning.
pub fn install(ring: Keyring) -> Result<&'static Keyring, SealError> {
    let installed = PROCESS.get_or_init(|| ring.clone());
    if *installed == ring {
        Ok(installed)
    } else {
        Err(SealError::config(
            "another keyring is already installed in this process: install one keyring at start-up"
                .into(),
        ))
    }
}

/// The process's keyring: the one [`install`]ed, else the environment's ([`Keyring::from_env`]),
/// installed on first use.
pub fn process_keyring() -> Result<&'static Keyring, SealError> {
    if let Some(ring) = PROCESS.get() {
        return Ok(ring);
    }
    let ring = Keyring::from_env()?.ok_or_else(|| {
        SealError::config(format!(
            "no encryption key is configured: set {KEYS_VAR}=<id>:<base64 of 32 random bytes> (`openssl rand -base64 32`)"
        ))
    })?;
    Ok(PROCESS.get_or_init(|| ring))
}

/// Seals a token for `column` (one of [`TOKEN_COLUMNS`]) as the bytes of its envelope.
pub fn seal_token(ring: &Keyring, column: &ColumnRef, token: &str) -> Vec<u8> {
    ring.seal(&column.qualified(), token.as_bytes())
        .into_bytes()
}

/// Opens a stored token: an envelope, or a blob written before envelopes existed.
pub fn open_token(ring: &Keyring, column: &ColumnRef, stored: &[u8]) -> Result<String, SealError> {
    let qualified = column.qualified();
    let plaintext = match std::str::from_utf8(stored)
        .ok()
        .filter(|s| key_id_of(s).is_some())
    {
        // A legacy blob starts with `v1:<id>:` by chance about once in 2^24 blobs: it fails as
        // an envelope and is then opened as what it is.
        Some(envelope) => ring
            .open(&qualified, envelope)
            .or_else(|e| ring.open_legacy(&qualified, stored).map_err(|_| e))?,
        None => ring.open_legacy(&qualified, stored)?,
    };
    String::from_utf8(plaintext).map_err(|_| SealError::NotSealed { column: qualified })
}

#[cfg(test)]
mod tests;
