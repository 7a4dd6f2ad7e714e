//! Applied migrations are frozen: the SQL each one renders must keep the checksum recorded here.
//!
//! Databases record the SHA-256 of the SQL a migration sent, and the deployer refuses to run
//! when that SQL changes. This test catches the change before any database does: refactoring
//! a migration's Rust (shared helpers, formatting, comments) is fine as long as the rendered
//! SQL stays byte-identical. Each line is `name up-checksum down:down-checksum`; the first
//! checksum is the one databases record.

use std::fmt::Write;
use std::path::PathBuf;

use deployer::render;
use migration::{Migrator, MigratorTrait};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("frozen-checksums.txt")
}

async fn rendered() -> String {
    let mut out = String::new();
    for migration in Migrator::migrations() {
        let name = migration.name();
        let up = render::render_up(migration.as_ref())
            .await
            .unwrap_or_else(|err| panic!("render {name} up: {err}"));
        // `down` is not checksummed by the deployer, but a refactor must not change it either.
        let down = render::render_down(migration.as_ref())
            .await
            .unwrap_or_else(|err| panic!("render {name} down: {err}"));
        let (up, down) = (render::checksum_of(&up), render::checksum_of(&down));
        writeln!(out, "{name} {up} down:{down}").unwrap();
    }
    out
}

#[tokio::test]
async fn every_migration_renders_the_sql_it_was_frozen_with() {
    let now = rendered().await;
    if std::env::var_os("UPDATE_FROZEN").is_some() {
        std::fs::write(manifest(), &now).expect("write frozen-checksums.txt");
        return;
    }
    let frozen = std::fs::read_to_string(manifest()).expect("read frozen-checksums.txt");
    let recorded: std::collections::BTreeMap<&str, &str> = frozen
        .lines()
        .filter_map(|line| line.split_once(' '))
        .collect();
    let mut problems = Vec::new();
    for line in now.lines() {
        let (name, checksum) = line.split_once(' ').expect("name and checksum");
        match recorded.get(name) {
            Some(&was) if was == checksum => {}
            Some(_) => problems.push(format!(
                "{name}: its SQL changed; applied migrations are frozen, so undo the edit and \
                 write a new migration"
            )),
            None => problems.push(format!(
                "{name}: new migration not yet frozen; record it with \
                 `UPDATE_FROZEN=1 cargo test -p migration --test frozen`"
            )),
        }
    }
    for name in recorded.keys() {
        if !now
            .lines()
            .any(|l| l.split_once(' ').is_some_and(|(n, _)| n == *name))
        {
            problems.push(format!(
                "{name}: frozen but gone from the code; databases that applied it will be refused"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
