//! Roles that log in with a password the server checks (scram-sha-256), for tests of how credentials travel.
//!
//! The embedded server trusts loopback logins except for members of
//! `devdb::embedded::SCRAM_USERS`; a container checks every password. A role made here is
//! such a member, a superuser (migrations create an extension and a role), and is dropped
//! when its guard drops: create it before the test's database, so it outlives the objects
//! it owns there.

use sea_orm::ConnectionTrait;

/// A login role with a password, dropped on drop.
pub struct PasswordRole {
    pub name: String,
    admin_url: String,
}

impl PasswordRole {
    /// Creates (or resets the password of) `name` on the smoke server.
    pub async fn create(name: &str, password: &str) -> PasswordRole {
        let admin_url = std::env::var("SMOKE_SERVER_URL").expect("SMOKE_SERVER_URL");
        let admin = dbconn::connect(&admin_url).await.expect("connect as admin");
        let group = devdb::embedded::SCRAM_USERS;
        let literal = password.replace('\'', "''");
        // Tests run at once and roles are cluster-wide: either may create the group first.
        let sql = format!(
            "DO $$ BEGIN CREATE ROLE {group} NOLOGIN; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
             DO $$ BEGIN CREATE ROLE {name}; EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
             ALTER ROLE {name} LOGIN SUPERUSER PASSWORD '{literal}'; \
             GRANT {group} TO {name}"
        );
        admin
            .execute_unprepared(&sql)
            .await
            .expect("create the password role");
        admin.close().await.ok();
        PasswordRole {
            name: name.to_owned(),
            admin_url,
        }
    }

    /// The database of `db_url` as this role, with `password` percent-encoded as a user
    /// would write it.
    pub fn url(&self, db_url: &str, password: &str) -> String {
        let parsed = dbconn::url::parse(db_url).expect("database URL");
        format!(
            "postgres://{}:{}@{}:{}{}",
            self.name,
            percent_encoded(password),
            parsed.host_str().expect("host"),
            parsed.port().unwrap_or(5432),
            parsed.path()
        )
    }
}

impl Drop for PasswordRole {
    fn drop(&mut self) {
        // As the scratch databases do: a thread and a runtime of its own, since drop may
        // run inside a runtime that must not block.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async {
                    if let Ok(admin) = dbconn::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!("DROP ROLE IF EXISTS {name}"))
                            .await;
                        admin.close().await.ok();
                    }
                })
        })
        .join();
    }
}

/// Every byte but ASCII letters and digits as `%XX`, as careful users and tools encode.
pub fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Whether the smoke server is one known to check the passwords of [`PasswordRole`]s; the
/// server of a `DATABASE_URL` may trust everyone.
pub fn server_checks_passwords() -> bool {
    matches!(
        std::env::var("SMOKE_SERVER_KIND").as_deref(),
        Ok("embedded" | "container")
    )
}
