//! The committed `docs/schema.md` and the verify and drift manifests are what a migrated
//! database gives.

use smoke_tests::TestDb;

#[tokio::test]
async fn the_committed_erd_and_manifests_are_current() {
    let test = TestDb::migrated("the_committed_erd_and_manifests_are_current").await;
    let catalog = dbcheck::catalog::Catalog::load(&test.db)
        .await
        .expect("catalog");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let committed = std::fs::read_to_string(root.join("docs/schema.md")).unwrap_or_default();
    assert!(
        committed == dbcheck::erd::render_catalog(&catalog),
        "docs/schema.md is stale: run `cargo xtask erd`"
    );
    assert!(
        dbcheck::verify::EXPECTED == dbcheck::verify::manifest(&catalog),
        "dbcheck/src/verify/expected.txt is stale: run `cargo xtask erd`"
    );
    assert!(
        dbcheck::drift::behaviour::EXPECTED == dbcheck::drift::behaviour::manifest(&catalog),
        "dbcheck/src/drift/expected.txt is stale: run `cargo xtask erd`"
    );
}
