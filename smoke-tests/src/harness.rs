//! One database per test, named after it and dropped by a guard when the test ends.

use devdb::connect::quote_ident;
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// A database created for one test on the smoke server, dropped when this value drops,
/// whether the test passed or panicked.
pub struct TestDb {
    pub db: DatabaseConnection,
    pub url: String,
    name: String,
    admin_url: String,
}

impl TestDb {
    /// Creates `smoke_<test>` on the smoke server, replacing one a killed run left behind.
    pub async fn new(test: &str) -> TestDb {
        let admin_url = std::env::var("SMOKE_SERVER_URL").unwrap_or_else(|_| {
            panic!("SMOKE_SERVER_URL is not set: run the smoke tests with `cargo xtask smoke`")
        });
        let name: String = format!("smoke_{test}").chars().take(63).collect();
        let admin = devdb::connect(&admin_url)
            .await
            .expect("connect to the smoke server");
        let quoted = quote_ident(&name);
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            .await
            .expect("drop leftover test database");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {quoted}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = devdb::url::with_database(&admin_url, &name).expect("test database url");
        let db = devdb::connect(&url)
            .await
            .expect("connect to the test database");
        TestDb {
            db,
            url,
            name,
            admin_url,
        }
    }

    /// A second connection to the same database, for tests that need one.
    pub async fn connect(&self) -> DatabaseConnection {
        devdb::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs outside any runtime we may block on, so the drop gets a thread and a
        // runtime of its own; FORCE ends the test's pooled connections first.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = devdb::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        quote_ident(&name)
                    ))
                    .await?;
                admin.close().await.ok();
                anyhow::Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("smoke: could not drop test database {}", self.name);
        }
    }
}
