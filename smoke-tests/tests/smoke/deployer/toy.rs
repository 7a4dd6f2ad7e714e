//! The toy library (`smoke_tests::toy`) and the toy binary (`TOY_BIN`) have the same
//! migrations, so the tests that mix them test one migrator.

use deployer::Settings;
use smoke_tests::{TestDb, migrator, toy};

#[tokio::test]
async fn the_toy_library_accepts_what_the_toy_binary_applied() {
    let test = TestDb::new("toy_library_and_binary_agree").await;
    let output = migrator::run_toy(&test.url, &["up"]).await;
    assert!(output.status.success(), "{}", migrator::printed(&output));
    let status = toy::deployer(Settings::default(), toy::migrations())
        .await
        .status(&test.db)
        .await
        .expect("status");
    assert_eq!(status.problems(), Vec::<String>::new(), "checksums differ");
    assert_eq!(status.pending(), 0);
    assert_eq!(
        super::applied(&test.db).await,
        toy::names(&toy::migrations())
    );
}
