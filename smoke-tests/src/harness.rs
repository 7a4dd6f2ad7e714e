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
    /// Creates `smoke_<test>` on the smoke server, empty, replacing one a killed run left
    /// behind.
    pub async fn new(test: &str) -> TestDb {
        let admin_url = admin_url();
        let scratch = Scratch::create(&admin_url, &format!("smoke_{test}"))
            .await
            .expect("create the test database");
        TestDb::open(scratch).await
    }

    /// Creates `smoke_<test>` with every migration applied: a copy of the server's migrated
    /// template ([`crate::template`]), which takes a fraction of the time migrating does.
    /// Tests whose subject is migrating start from [`TestDb::new`] instead.
    pub async fn migrated(test: &str) -> TestDb {
        let admin_url = admin_url();
        let template = crate::template::ensure(&admin_url)
            .await
            .expect("the migrated template database");
        let scratch = Scratch::copy_of(&admin_url, &format!("smoke_{test}"), &template)
            .await
            .expect("copy the migrated template");
        TestDb::open(scratch).await
    }

    async fn open(scratch: Scratch) -> TestDb {
        // Sealed columns open with the process keyring: the DEV-ONLY one the dev seed seals
        // with, as in a development process. Tests of other keys pass their keyring.
        entity::sealed::install(entity::sealed::Keyring::dev()).expect("the dev keyring");
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

/// The smoke server's admin URL, which `cargo xtask smoke` sets.
fn admin_url() -> String {
    std::env::var("SMOKE_SERVER_URL").unwrap_or_else(|_| {
        panic!("SMOKE_SERVER_URL is not set: run the smoke tests with `cargo xtask smoke`")
    })
}
