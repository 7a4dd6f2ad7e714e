//! One database per test, named after it and dropped by a guard when the test ends.

use devdb::databases::Scratch;
use sea_orm::DatabaseConnection;

/// A database created for one test on the smoke server, dropped when this value drops,
/// whether the test passed or panicked.
pub struct TestDb {
    pub db: DatabaseConnection,
    pub url: String,
    // Dropped after `db` (fields drop in order), so the database goes once the test's
    // connections are closed or forced out.
    _scratch: Scratch,
}

impl TestDb {
    /// Creates `smoke_<test>` on the smoke server, replacing one a killed run left behind.
    pub async fn new(test: &str) -> TestDb {
        // Sealed columns open with the process keyring: the DEV-ONLY one the dev seed seals
        // with, as in a development process. Tests of other keys pass their keyring.
        entity::sealed::install(entity::sealed::Keyring::dev()).expect("the dev keyring");
        let admin_url = std::env::var("SMOKE_SERVER_URL").unwrap_or_else(|_| {
            panic!("SMOKE_SERVER_URL is not set: run the smoke tests with `cargo xtask smoke`")
        });
        let scratch = Scratch::create(&admin_url, &format!("smoke_{test}"))
            .await
            .expect("create the test database");
        let db = dbconn::connect(&scratch.url)
            .await
            .expect("connect to the test database");
        TestDb {
            db,
            url: scratch.url.clone(),
            _scratch: scratch,
        }
    }

    /// A second connection to the same database, for tests that need one.
    pub async fn connect(&self) -> DatabaseConnection {
        dbconn::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}
