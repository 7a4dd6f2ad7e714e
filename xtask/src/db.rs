//! `cargo xtask db`: the embedded dev server's lifecycle.

use devdb::embedded::{Server, Status};

use crate::flags::DbCommand;

pub async fn run(cmd: DbCommand) -> anyhow::Result<()> {
    let server = Server::dev();
    match cmd {
        DbCommand::Start => {
            let target = devdb::dev_target().await?;
            eprintln!("embedded dev server running: {}", target.redacted());
        }
        DbCommand::Stop => {
            server.stop()?;
            eprintln!(
                "embedded dev server stopped (data kept in {})",
                server.dir().display()
            );
        }
        DbCommand::Status => {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                println!(
                    "DATABASE_URL is set ({}): commands use it, not the embedded server",
                    dbconn::url::redact(&url)
                );
            }
            match server.status() {
                Status::NotCreated => {
                    println!("embedded dev server: not created (`cargo xtask db start` creates it)")
                }
                Status::Stopped => {
                    println!("embedded dev server: stopped ({})", server.dir().display())
                }
                Status::Running { port } => println!(
                    "embedded dev server: running on 127.0.0.1:{port} ({})",
                    server.dir().display()
                ),
            }
        }
        DbCommand::Url => {
            let target = devdb::dev_target().await?;
            // An explicit DATABASE_URL may carry a password; the embedded one has none.
            println!("{}", target.redacted());
        }
    }
    Ok(())
}
