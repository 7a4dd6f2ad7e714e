//! Logging for people: progress on stderr, no times or targets, driver chatter off.

/// Logs progress to stderr: no times or targets, colour only on a terminal, and the drivers'
/// per-statement logs off unless RUST_LOG asks for them. Every binary starts with this.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn".into()),
        )
        .with_target(false)
        .without_time()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}
