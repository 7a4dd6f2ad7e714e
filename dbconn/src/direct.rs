//! Which URL a migration connects to: a direct one before a pooled one.
//!
//! Applications often reach PostgreSQL through a pooler such as PgBouncer in transaction mode,
//! which hands each transaction whichever server session is free. Migrations need a session of
//! their own (the migration lock is a session lock), so, as Prisma's `directUrl`, a URL meant
//! for them wins over the application's `DATABASE_URL`.

/// The variables a migration reads its URL from, strongest first.
pub const MIGRATION_URL_VARIABLES: [&str; 3] =
    ["MIGRATION_DATABASE_URL", "DIRECT_URL", "DATABASE_URL"];

/// The first of [`MIGRATION_URL_VARIABLES`] that is set and not blank, with its name.
pub fn migration_url() -> Option<(&'static str, String)> {
    first_set(|name| std::env::var(name).ok())
}

fn first_set(read: impl Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    MIGRATION_URL_VARIABLES.into_iter().find_map(|name| {
        read(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .map(|v| (name, v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_direct_url_wins_over_the_pooled_one() {
        let pooled = ("DATABASE_URL", "postgres://app@pooler:6432/db");
        let direct = ("DIRECT_URL", "postgres://app@db:5432/db");
        let migration = ("MIGRATION_DATABASE_URL", "postgres://migrator@db:5432/db");
        assert_eq!(first_set(env(&[pooled])).unwrap().0, "DATABASE_URL");
        assert_eq!(first_set(env(&[pooled, direct])).unwrap().0, "DIRECT_URL");
        let all = first_set(env(&[pooled, direct, migration])).unwrap();
        assert_eq!(all, ("MIGRATION_DATABASE_URL", migration.1.to_owned()));
    }

    #[test]
    fn blank_variables_do_not_count() {
        let vars = [("DIRECT_URL", "  "), ("DATABASE_URL", "postgres://a@b/c")];
        assert_eq!(first_set(env(&vars)).unwrap().0, "DATABASE_URL");
        assert_eq!(first_set(env(&[])), None);
    }
}
