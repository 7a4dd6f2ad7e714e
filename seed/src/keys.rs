//! The keyring the seeder seals medical text and tokens with (`entity::sealed`).

use entity::sealed::{Keyring, SealError};

/// The environment's keyring ([`entity::sealed::KEYS_VAR`], or the older
/// [`entity::sealed::TOKEN_KEY_VAR`]) when one is configured, so an application running with
/// those keys reads the seeded rows; otherwise the public DEV-ONLY key. Dev data is made up,
/// so the dev key protects nothing and needs to.
pub fn dev_keyring() -> Result<Keyring, SealError> {
    Ok(Keyring::from_env()?.unwrap_or_else(Keyring::dev))
}
