//! SeaORM's standard migration CLI (`up`, `down`, `status`, `fresh`, ...) for this crate's migrations.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migration::Migrator).await;
}
