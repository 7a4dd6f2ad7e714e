//! Insert-if-absent, the one write the seeder does, and the look-up of the id it left.

use anyhow::Context;
use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, PrimaryKeyToColumn,
    PrimaryKeyTrait, QueryFilter, QuerySelect, TryInsertResult,
};
use uuid::Uuid;

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

/// The id of the row of `E` that `natural_key` finds, `what` (e.g. `user a@b.c`) naming it
/// in the error when there is none. A row that was already there keeps its id, which need not
/// be the seed's, so children look their parents up after [`insert_if_absent`].
pub async fn id_after_insert<E, C>(
    db: &C,
    natural_key: impl IntoCondition,
    what: &str,
) -> anyhow::Result<Uuid>
where
    E: EntityTrait,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
    C: ConnectionTrait,
{
    E::find()
        .filter(natural_key)
        .select_only()
        .columns(E::PrimaryKey::iter().map(PrimaryKeyToColumn::into_column))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .with_context(|| format!("{what} missing after insert"))
}
