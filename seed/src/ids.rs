//! Deterministic ids: the same natural key gives the same UUID on every machine and run.

use uuid::Uuid;

/// The namespace of this project's seed ids (a UUIDv5 of the project's name).
const NAMESPACE: Uuid = Uuid::from_u128(0x5c0f_6f7e_2a1d_5b8e_9c3a_7d41_e2b6_0f93);

/// The id of the seed row of `kind` (a table name) known by `key`.
pub fn seed_id(kind: &str, key: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_kind_and_key_only() {
        assert_eq!(seed_id("messages", "a"), seed_id("messages", "a"));
        assert_ne!(seed_id("messages", "a"), seed_id("messages", "b"));
        assert_ne!(seed_id("messages", "a"), seed_id("artifacts", "a"));
        assert_eq!(seed_id("messages", "a").get_version_num(), 5);
    }
}
