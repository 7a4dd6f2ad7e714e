//! Phase 7: `audit_logs` takes automatic entries besides the admins' own: "adminId" becomes
//! optional (a trigger's entry has no admin), "actorId" records the user the session acted
//! for and "dbRole" the database role that wrote.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Both columns are nullable without a default: adding them rewrites nothing.
        // "actorId" has no foreign key on purpose: the trail outlives the users it names.
        db.execute_unprepared(
            r#"ALTER TABLE public.audit_logs ALTER COLUMN "adminId" DROP NOT NULL;
               ALTER TABLE public.audit_logs ADD COLUMN "actorId" uuid;
               ALTER TABLE public.audit_logs ADD COLUMN "dbRole" varchar(63);"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Automatic entries have no admin; they go before NOT NULL can come back.
        manager
            .get_connection()
            .execute_unprepared(
                r#"DELETE FROM public.audit_logs WHERE "adminId" IS NULL;
                   ALTER TABLE public.audit_logs DROP COLUMN "dbRole";
                   ALTER TABLE public.audit_logs DROP COLUMN "actorId";
                   ALTER TABLE public.audit_logs ALTER COLUMN "adminId" SET NOT NULL;"#,
            )
            .await?;
        Ok(())
    }
}
