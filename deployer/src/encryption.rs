//! Encrypted dumps in the age format (age-encryption.org/v1), streamed both ways, so that no
//! plaintext dump is ever written to disk.
//!
//! A dump is encrypted to one or more public keys (X25519 recipients, `age1...`) while it
//! streams out of pg_dump, and decrypted with the matching secret key (an identity file,
//! `AGE-SECRET-KEY-1...`) while it streams into pg_restore. The machine that takes backups
//! needs only the public key; the secret key is fetched for a restore. age authenticates
//! every 64 KiB chunk and marks the last one, so a tampered or truncated dump fails to
//! decrypt instead of restoring part of a database. The `age` and `rage` command-line tools
//! read these files too (`age -d -i key.txt dump.age | pg_restore ...`).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use tokio::io::{AsyncRead, AsyncReadExt};

/// What encrypted dumps' names end with, after `.dump`.
pub const SUFFIX: &str = ".age";

/// The first line of every age file.
const MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// The public keys dumps are encrypted to; anyone holding the secret key of one can restore.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipients(Vec<age::x25519::Recipient>);

impl Recipients {
    /// Parses age X25519 public keys (`age1...`), separated by commas or whitespace.
    pub fn parse(text: &str) -> Result<Recipients, String> {
        let keys = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|key| !key.is_empty())
            .map(|key| {
                age::x25519::Recipient::from_str(key).map_err(|why| {
                    format!(
                        "expected an age public key (age1..., as `age-keygen -y` prints it): {why}"
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err("expected an age public key (age1...)".into());
        }
        Ok(Recipients(keys))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `input` to its end and writes it, encrypted, into a new `file`. Reads are
    /// awaited; each write is a local 64 KiB chunk.
    pub async fn encrypt_stream(
        &self,
        input: &mut (impl AsyncRead + Unpin),
        file: &Path,
    ) -> anyhow::Result<u64> {
        let encryptor =
            age::Encryptor::with_recipients(self.0.iter().map(|r| r as &dyn age::Recipient))
                .context("set up the dump's encryption")?;
        let out = crate::files::create_private(file)
            .with_context(|| format!("create {}", file.display()))?;
        let mut writer = encryptor
            .wrap_output(BufWriter::new(out))
            .with_context(|| format!("write {}", file.display()))?;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let read = input
                .read(&mut buffer)
                .await
                .context("read pg_dump's output")?;
            if read == 0 {
                break;
            }
            writer
                .write_all(&buffer[..read])
                .with_context(|| format!("write {}", file.display()))?;
            total += read as u64;
        }
        writer
            .finish()
            .and_then(|mut inner| inner.flush())
            .with_context(|| format!("write {}", file.display()))?;
        Ok(total)
    }
}

/// Whether `file` is an age file (by its header, whatever its name).
pub fn is_encrypted(file: &Path) -> anyhow::Result<bool> {
    let mut start = [0u8; MAGIC.len()];
    let mut reader = File::open(file).with_context(|| format!("open {}", file.display()))?;
    let mut filled = 0;
    while filled < start.len() {
        match reader.read(&mut start[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled == MAGIC.len() && start == MAGIC)
}

/// The secret keys of an identity file, which decrypt dumps encrypted to their public keys.
pub struct Identities {
    path: PathBuf,
    keys: Vec<Box<dyn age::Identity + Send + Sync>>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        write!(f, "Identities({})", self.path.display())
    }
}

/// A decrypted dump, read as it is decrypted.
pub type Plaintext = age::stream::StreamReader<BufReader<File>>;

impl Identities {
    /// Reads the identity file at `path` (as `age-keygen` writes it).
    pub fn load(path: &Path) -> anyhow::Result<Identities> {
        let shown = path.display();
        let file = age::IdentityFile::from_file(path.to_string_lossy().into_owned())
            .with_context(|| format!("read the backup identity file {shown}"))?;
        let keys = file.into_identities().map_err(|err| {
            anyhow::anyhow!("the backup identity file {shown} holds no usable age key: {err}")
        })?;
        if keys.is_empty() {
            bail!(
                "the backup identity file {shown} holds no age key: it should hold an \
                 AGE-SECRET-KEY-1... line, as age-keygen writes it"
            );
        }
        Ok(Identities {
            path: path.to_owned(),
            keys,
        })
    }

    /// Opens the encrypted `file` for reading; fails before any plaintext is read when none
    /// of these keys can decrypt it.
    pub fn open(&self, file: &Path) -> anyhow::Result<Plaintext> {
        let shown = file.display();
        let input = File::open(file).with_context(|| format!("open {shown}"))?;
        let decryptor = age::Decryptor::new_buffered(BufReader::new(input))
            .map_err(|err| anyhow::anyhow!("cannot read {shown} as an age file: {err}"))?;
        decryptor
            .decrypt(self.keys.iter().map(|k| k.as_ref() as &dyn age::Identity))
            .map_err(|err| match err {
                age::DecryptError::NoMatchingKeys => anyhow::anyhow!(
                    "cannot decrypt {shown}: no key in the identity file {} matches the key it \
                     was encrypted to: pass the identity whose public key took the backup \
                     (--backup-identity FILE or MIGRATION_BACKUP_IDENTITY)",
                    self.path.display()
                ),
                other => anyhow::anyhow!("cannot decrypt {shown}: {other}"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Renamed: the tidy test would read the type name followed by a path separator as an
    // import of the workspace crate whose name ends it.
    use age::x25519::Identity as SecretKey;

    #[tokio::test]
    async fn a_stream_encrypted_to_a_key_decrypts_only_with_its_identity() {
        let dir = std::env::temp_dir().join(format!("age-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (right, wrong) = (SecretKey::generate(), SecretKey::generate());
        let recipients = Recipients::parse(&right.to_public().to_string()).unwrap();
        let file = dir.join("x.dump.age");
        let plaintext = b"PGDMP and the rest of a dump".repeat(5000);
        recipients
            .encrypt_stream(&mut plaintext.as_slice(), &file)
            .await
            .unwrap();
        assert!(is_encrypted(&file).unwrap());
        let stored = std::fs::read(&file).unwrap();
        assert!(!stored.windows(5).any(|w| w == b"PGDMP"));

        use age::secrecy::ExposeSecret;
        let key_file = |name: &str, identity: &SecretKey| {
            let path = dir.join(name);
            std::fs::write(&path, identity.to_string().expose_secret()).unwrap();
            Identities::load(&path).unwrap()
        };
        let mut decrypted = Vec::new();
        key_file("right.txt", &right)
            .open(&file)
            .unwrap()
            .read_to_end(&mut decrypted)
            .unwrap();
        assert_eq!(decrypted, plaintext);
        let refused = match key_file("wrong.txt", &wrong).open(&file) {
            Ok(_) => panic!("the wrong identity decrypted the dump"),
            Err(err) => err.to_string(),
        };
        assert!(refused.contains("no key in the identity file"), "{refused}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recipients_must_be_age_public_keys() {
        let key = SecretKey::generate().to_public().to_string();
        assert_eq!(
            Recipients::parse(&format!("{key}, {key}")).unwrap().0.len(),
            2
        );
        assert!(Recipients::parse("ssh-ed25519 AAAA").is_err());
        assert!(Recipients::parse(" ").is_err());
    }
}
