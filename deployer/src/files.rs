//! Files the deployer writes hold a whole database: each is created readable by its owner
//! only (0600), and each directory it creates for them is the owner's alone (0700).

use std::fs::File;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates (or truncates) `path` for writing, mode 0600 when created. A tool told to write
/// into it (pg_dump's `--file`) keeps the mode.
pub fn create_private(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

/// Creates `dir` and any missing parent, each new one mode 0700; existing ones are left as
/// they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_private_file_and_its_new_directories_are_the_owners_alone() {
        let base = std::env::temp_dir().join(format!("private_{}", std::process::id()));
        let dir = base.join("a/b");
        create_private_dir(&dir).unwrap();
        let file = dir.join("x.dump");
        create_private(&file).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&base.join("a")), 0o700);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
