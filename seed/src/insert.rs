//! Insert-if-absent, the one write the seeder does.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, TryInsertResult};

use crate::Summary;

/// Inserts `model` unless a row with the same `conflict` columns exists, and counts which.
pub async fn insert_if_absent<A, C>(
    db: &C,
    summary: &mut Summary,
    model: A,
    conflict: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let result = A::Entity::insert(model)
        .on_conflict_do_nothing_on(conflict)
        .exec_without_returning(db)
        .await?;
    match result {
        TryInsertResult::Inserted(n) if n > 0 => summary.inserted += n,
        _ => summary.present += 1,
    }
    Ok(())
}
