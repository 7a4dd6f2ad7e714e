//! Encrypted backups through the shipped binary, with age keys made in the test: the file on
//! disk is no pg_dump archive, only its identity restores it, a wrong one changes nothing,
//! and production refuses a plain dump unless told.

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use smoke_tests::{TestDb, migrator};

use super::backup::{in_production, take};
use super::{dump_dir, dumps, embedded_tool, run_expecting};
use crate::{all_rows, owned_tables};

/// The header every age file starts with.
const AGE_HEADER: &[u8] = b"age-encryption.org/v1\n";

/// A new age key pair: its public key, and its identity file in `dir`.
fn key_pair(dir: &Path, name: &str) -> (String, PathBuf) {
    let identity = age::x25519::Identity::generate();
    std::fs::create_dir_all(dir).expect("create the key directory");
    let file = dir.join(name);
    std::fs::write(&file, identity.to_string().expose_secret()).expect("write the identity");
    (identity.to_public().to_string(), file)
}

/// `restore FILE` into `url` with `extra` arguments and `MIGRATION_BACKUP_IDENTITY` set to
/// `identity` when given; exits with `code`.
async fn restore(
    url: &str,
    dump: &Path,
    identity: Option<&Path>,
    extra: &[&str],
    code: i32,
) -> std::process::Output {
    let pg_restore = embedded_tool("pg_restore");
    let file = dump.display().to_string();
    let mut args = vec!["restore", file.as_str(), "--pg-restore", &pg_restore];
    args.extend_from_slice(extra);
    let mut command = migrator::command(url, &args);
    if let Some(identity) = identity {
        command.env("MIGRATION_BACKUP_IDENTITY", identity);
    }
    let output = migrator::finish(command).await;
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}",
        migrator::printed(&output)
    );
    output
}

#[tokio::test]
async fn an_encrypted_backup_is_no_dump_on_disk_and_only_its_identity_restores_it() {
    let source = TestDb::migrated("encrypted_backup_source").await;
    seed::run(&source.db, &seed::Profile::Dev)
        .await
        .expect("seed");
    let rows = all_rows(&source.db).await;
    let dir = dump_dir("encrypted_backup");
    let (public, identity) = key_pair(&dir.join("keys"), "backup.key");
    let (_, wrong) = key_pair(&dir.join("keys"), "other.key");
    let dump = take(&source.url, &dir, &["--backup-recipient", &public]).await;
    assert_not_a_dump(&dump, &rows);
    let listing = run_expecting("unused", &["backups", &dir.display().to_string()], 0).await;
    let listed = String::from_utf8_lossy(&listing.stdout);
    let name = dump.file_name().expect("name").to_string_lossy();
    assert!(
        listed.contains(&*name) && listed.contains("1 dump(s)"),
        "{listed}"
    );

    let target = TestDb::new("encrypted_backup_target").await;
    let without = restore(&target.url, &dump, None, &[], 1).await;
    let line = migrator::last_stderr_line(&without);
    assert!(
        line.ends_with("is encrypted (age): pass --backup-identity FILE or set MIGRATION_BACKUP_IDENTITY to the identity file whose public key it was encrypted to"),
        "{line}"
    );
    let refused = restore(&target.url, &dump, Some(&wrong), &[], 1).await;
    let line = migrator::last_stderr_line(&refused);
    assert!(
        line.contains("no key in the identity file") && line.contains("other.key"),
        "{line}"
    );
    assert!(
        owned_tables(&target.db).await.is_empty(),
        "a refusal restored something"
    );

    restore(&target.url, &dump, Some(&identity), &[], 0).await;
    assert_eq!(
        all_rows(&target.connect().await).await,
        rows,
        "the restored rows differ"
    );
    run_expecting(&target.url, &["status", "--check"], 0).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The dump on disk is an age file: not pg_dump's archive (which starts `PGDMP`), and no
/// row of the database in it.
fn assert_not_a_dump(dump: &Path, rows: &[String]) {
    let name = dump
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.ends_with(".dump.age"), "{name}");
    let bytes = std::fs::read(dump).expect("read the dump");
    assert!(bytes.starts_with(AGE_HEADER), "no age header: {name}");
    assert!(
        !bytes.windows(5).any(|w| w == b"PGDMP"),
        "a pg_dump archive in the clear"
    );
    let email = rows
        .iter()
        .find_map(|row| row.split("\"email\": \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("a seeded user's email");
    assert!(
        !bytes.windows(email.len()).any(|w| w == email.as_bytes()),
        "{email} is readable in the encrypted dump"
    );
    // Nothing else was written beside it: no plaintext copy on its way.
    let dir = dump.parent().expect("dir");
    let files: Vec<String> = dumps(dir).into_iter().filter(|f| f != "keys").collect();
    assert_eq!(files, [name]);
}

#[tokio::test]
async fn a_tampered_encrypted_dump_restores_nothing() {
    let source = TestDb::migrated("encrypted_tampered_source").await;
    let dir = dump_dir("encrypted_tampered");
    let (public, identity) = key_pair(&dir.join("keys"), "backup.key");
    let dump = take(&source.url, &dir, &["--backup-recipient", &public]).await;
    let mut bytes = std::fs::read(&dump).expect("read");
    // Flip a byte of the last chunk, which holds the end of the archive.
    let last = bytes.len() - 20;
    bytes[last] ^= 0x55;
    std::fs::write(&dump, bytes).expect("tamper");
    let target = TestDb::new("encrypted_tampered_target").await;
    let refused = restore(&target.url, &dump, Some(&identity), &[], 1).await;
    let line = migrator::last_stderr_line(&refused);
    assert!(
        line.contains("decrypt the dump (is it complete and unaltered?)"),
        "{line}"
    );
    assert!(
        owned_tables(&target.db).await.is_empty(),
        "a tampered dump restored tables"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn production_refuses_an_unencrypted_backup_unless_allowed() {
    let test = TestDb::new("production_unencrypted_backup").await;
    let dir = dump_dir("production_unencrypted_backup");
    let (dir_arg, pg_dump) = (dir.display().to_string(), embedded_tool("pg_dump"));
    let refusal = "error: refusing an unencrypted backup of production: set \
         MIGRATION_BACKUP_RECIPIENT (or --backup-recipient) to an age public key to encrypt \
         it, or pass --allow-unencrypted-backup";
    let up = ["up", "--backup", &dir_arg, "--pg-dump", &pg_dump];
    let refused = in_production(&test.url, &up, 1).await;
    assert_eq!(migrator::last_stderr_line(&refused), refusal);
    let take = ["backups", &dir_arg, "--take", "--pg-dump", &pg_dump];
    let refused = in_production(&test.url, &take, 1).await;
    assert_eq!(migrator::last_stderr_line(&refused), refusal);
    assert!(
        owned_tables(&test.db).await.is_empty(),
        "a refusal migrated"
    );
    assert!(!dir.exists(), "a refusal dumped");

    let keys = dump_dir("production_unencrypted_backup_keys");
    let (public, _) = key_pair(&keys, "prod.key");
    in_production(
        &test.url,
        &[&up[..], &["--backup-recipient", &public]].concat(),
        0,
    )
    .await;
    assert!(!owned_tables(&test.db).await.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    in_production(
        &test.url,
        &[&take[..], &["--allow-unencrypted-backup"]].concat(),
        0,
    )
    .await;
    let names = dumps(&dir);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().any(|n| n.ends_with("-none.dump.age")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.ends_with(".dump") && !n.ends_with("-none.dump")),
        "{names:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&keys);
}

#[tokio::test]
async fn dumps_and_the_directories_made_for_them_are_their_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let test = TestDb::migrated("private_dumps").await;
    let base = dump_dir("private_dumps");
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    // A plain dump into a directory the command creates, two levels deep.
    let plain_dir = base.join("plain/nested");
    let plain = take(&test.url, &plain_dir, &[]).await;
    // An encrypted one, streamed through age into its file.
    std::fs::create_dir_all(&base).expect("create the key directory");
    let (recipient, _) = key_pair(&base, "private");
    let sealed_dir = base.join("sealed");
    let sealed = take(&test.url, &sealed_dir, &["--backup-recipient", &recipient]).await;
    for file in [&plain, &sealed] {
        assert_eq!(
            mode(file),
            0o600,
            "{} is readable by others",
            file.display()
        );
    }
    for dir in [&plain_dir, &base.join("plain"), &sealed_dir] {
        assert_eq!(mode(dir), 0o700, "{} is open to others", dir.display());
    }
    let _ = std::fs::remove_dir_all(&base);
}
