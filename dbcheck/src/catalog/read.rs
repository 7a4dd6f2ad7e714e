//! One query per kind of catalog object, each returning its rows as structured values.

use anyhow::Context;
use sea_orm::prelude::Json;
use sea_orm::{ConnectionTrait, QueryResult};

use schema_facts::{BOOKKEEPING_TABLES, SCHEMAS, sql_list};

use super::{
    Column, Constraint, Enum, ForeignKey, Function, Grant, Index, Policy, Table, Trigger, rows,
};

/// `'a', 'b'`, for an SQL `IN` list of names the code knows.
/// The condition that namespace `n` is one of the owned schemas.
fn owned(n: &str) -> String {
    format!("{n}.nspname IN ({})", sql_list(SCHEMAS))
}

/// The condition that no extension owns the object `oid` of the catalog `class`.
fn not_extension(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{class}'::regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

/// The condition that relation `c` in namespace `n` is one of the project's: in an owned
/// schema, not a bookkeeping table of the migrator, not an extension's.
fn project_relation(c: &str, n: &str) -> String {
    format!(
        "{} AND {c}.relname NOT IN ({}) AND {}",
        owned(n),
        sql_list(BOOKKEEPING_TABLES),
        not_extension("pg_class", &format!("{c}.oid"))
    )
}

/// Key columns of an index or constraint, by `attnum` array, as a JSON array.
fn key_columns(keys: &str, rel: &str) -> String {
    format!(
        "coalesce((SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest({keys}) WITH ORDINALITY \
         k(attnum, ord) JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum), '[]')"
    )
}

/// A JSON array of strings at `index` of `row`.
fn strings(row: &QueryResult, index: usize) -> anyhow::Result<Vec<String>> {
    let value: Json = row.try_get_by_index(index)?;
    let items = value.as_array().context("expected a json array")?;
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .context("expected a json string")
        })
        .collect()
}

/// Runs `sql` and turns each row into a value with `each`; `what` names the kind in errors.
async fn read<T>(
    db: &impl ConnectionTrait,
    what: &str,
    sql: &str,
    each: impl Fn(&QueryResult) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<T>> {
    let rows = rows(db, sql)
        .await
        .with_context(|| format!("read {what}"))?;
    rows.iter()
        .map(|row| each(row).with_context(|| format!("decode {what}")))
        .collect()
}

pub(super) async fn schemas(db: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let sql = format!(
        "SELECT n.nspname::text FROM pg_namespace n
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
           AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
           AND {}",
        not_extension("pg_namespace", "n.oid")
    );
    read(db, "schemas", &sql, |r| Ok(r.try_get_by_index(0)?)).await
}

pub(super) async fn tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Table>> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND {}",
        project_relation("c", "n")
    );
    read(db, "tables", &sql, |r| {
        Ok(Table {
            schema: r.try_get_by_index(0)?,
            name: r.try_get_by_index(1)?,
            row_security: r.try_get_by_index(2)?,
            force_row_security: r.try_get_by_index(3)?,
        })
    })
    .await
}

pub(super) async fn columns(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Column>> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text,
                row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
                format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {}",
        project_relation("c", "n")
    );
    read(db, "columns", &sql, |r| {
        Ok(Column {
            schema: r.try_get_by_index(0)?,
            table: r.try_get_by_index(1)?,
            name: r.try_get_by_index(2)?,
            position: r.try_get_by_index(3)?,
            sql_type: r.try_get_by_index(4)?,
            not_null: r.try_get_by_index(5)?,
            default: r.try_get_by_index(6)?,
        })
    })
    .await
}

pub(super) async fn indexes(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Index>> {
    let sql = format!(
        "SELECT n.nspname::text, t.relname::text, i.relname::text, x.indisunique,
                x.indisprimary, x.indisvalid, {}, pg_get_indexdef(x.indexrelid)
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE {}",
        key_columns("x.indkey[0:x.indnkeyatts - 1]", "x.indrelid"),
        project_relation("t", "n")
    );
    read(db, "indexes", &sql, |r| {
        Ok(Index {
            schema: r.try_get_by_index(0)?,
            table: r.try_get_by_index(1)?,
            name: r.try_get_by_index(2)?,
            unique: r.try_get_by_index(3)?,
            primary: r.try_get_by_index(4)?,
            valid: r.try_get_by_index(5)?,
            columns: strings(r, 6)?,
            definition: r.try_get_by_index(7)?,
        })
    })
    .await
}

pub(super) async fn constraints(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Constraint>> {
    let sql = format!(
        "SELECT n.nspname::text, t.relname::text, k.conname::text, k.contype::text,
                pg_get_constraintdef(k.oid)
         FROM pg_constraint k
         JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE {}",
        project_relation("t", "n")
    );
    read(db, "constraints", &sql, |r| {
        Ok(Constraint {
            schema: r.try_get_by_index(0)?,
            table: r.try_get_by_index(1)?,
            name: r.try_get_by_index(2)?,
            kind: r.try_get_by_index(3)?,
            definition: r.try_get_by_index(4)?,
        })
    })
    .await
}

pub(super) async fn foreign_keys(db: &impl ConnectionTrait) -> anyhow::Result<Vec<ForeignKey>> {
    let sql = format!(
        "SELECT n.nspname::text, t.relname::text, c.conname::text, {}, rn.nspname::text,
                rt.relname::text, {}, c.confdeltype::text, c.confupdtype::text, c.convalidated
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_class rt ON rt.oid = c.confrelid
         JOIN pg_namespace rn ON rn.oid = rt.relnamespace
         WHERE c.contype = 'f' AND {}",
        key_columns("c.conkey", "c.conrelid"),
        key_columns("c.confkey", "c.confrelid"),
        project_relation("t", "n")
    );
    read(db, "foreign keys", &sql, |r| {
        Ok(ForeignKey {
            schema: r.try_get_by_index(0)?,
            table: r.try_get_by_index(1)?,
            name: r.try_get_by_index(2)?,
            columns: strings(r, 3)?,
            ref_schema: r.try_get_by_index(4)?,
            ref_table: r.try_get_by_index(5)?,
            ref_columns: strings(r, 6)?,
            on_delete: r.try_get_by_index(7)?,
            on_update: r.try_get_by_index(8)?,
            validated: r.try_get_by_index(9)?,
        })
    })
    .await
}

pub(super) async fn enums(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Enum>> {
    let sql = format!(
        "SELECT n.nspname::text, t.typname::text, json_agg(e.enumlabel ORDER BY e.enumsortorder)
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
         JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE {} AND {}
         GROUP BY 1, 2",
        owned("n"),
        not_extension("pg_type", "t.oid")
    );
    read(db, "enum types", &sql, |r| {
        Ok(Enum {
            schema: r.try_get_by_index(0)?,
            name: r.try_get_by_index(1)?,
            labels: strings(r, 2)?,
        })
    })
    .await
}

pub(super) async fn triggers(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Trigger>> {
    // `tgtype` is a bit set: 1 row level, 2 before, 64 instead of; 4 insert, 8 delete,
    // 16 update, 32 truncate.
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, t.tgname::text,
                CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE'
                     WHEN t.tgtype & 64 <> 0 THEN 'INSTEAD OF' ELSE 'AFTER' END,
                (SELECT coalesce(json_agg(e.name ORDER BY e.ord), '[]')
                   FROM (VALUES (4, 'INSERT', 1), (16, 'UPDATE', 2), (8, 'DELETE', 3),
                                (32, 'TRUNCATE', 4)) e(bit, name, ord)
                  WHERE t.tgtype & e.bit <> 0),
                t.tgtype & 1 <> 0, pn.nspname || '.' || p.proname, t.tgenabled::text,
                pg_get_triggerdef(t.oid)
         FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
         WHERE NOT t.tgisinternal AND {}",
        project_relation("c", "n")
    );
    read(db, "triggers", &sql, |r| {
        Ok(Trigger {
            schema: r.try_get_by_index(0)?,
            table: r.try_get_by_index(1)?,
            name: r.try_get_by_index(2)?,
            timing: r.try_get_by_index(3)?,
            events: strings(r, 4)?,
            for_each_row: r.try_get_by_index(5)?,
            function: r.try_get_by_index(6)?,
            enabled: r.try_get_by_index(7)?,
            definition: r.try_get_by_index(8)?,
        })
    })
    .await
}

pub(super) async fn functions(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Function>> {
    // Trailing blanks and carriage returns carry no meaning and depend on how the migration
    // file was checked out, so they are removed before hashing.
    let sql = format!(
        "SELECT n.nspname::text,
                p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                CASE WHEN p.prokind <> 'a' THEN
                  md5(regexp_replace(pg_get_functiondef(p.oid), '[ \\t\\r]+(\\n|$)', '\\1', 'g'))
                END,
                to_json(coalesce(p.proconfig, '{{}}'))
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE {} AND {}",
        owned("n"),
        not_extension("pg_proc", "p.oid")
    );
    read(db, "functions", &sql, |r| {
        Ok(Function {
            schema: r.try_get_by_index(0)?,
            signature: r.try_get_by_index(1)?,
            body_hash: r.try_get_by_index(2)?,
            settings: strings(r, 3)?,
        })
    })
    .await
}

/// The expressions come back on one line: PostgreSQL prints a subquery (a policy that reaches
/// the owner through a parent) over several, and a snapshot or manifest line must not break.
pub(super) async fn policies(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Policy>> {
    let sql = format!(
        "SELECT p.schemaname::text, p.tablename::text, p.policyname::text,
                p.permissive = 'PERMISSIVE', p.cmd, to_json(p.roles::text[]),
                regexp_replace(p.qual, '\\s+', ' ', 'g'),
                regexp_replace(p.with_check, '\\s+', ' ', 'g')
         FROM pg_policies p
         WHERE p.schemaname IN ({}) AND p.tablename NOT IN ({})",
        sql_list(SCHEMAS),
        sql_list(BOOKKEEPING_TABLES)
    );
    read(db, "policies", &sql, |r| {
        let mut roles = strings(r, 5)?;
        roles.sort();
        Ok(Policy {
            schema: r.try_get_by_index(0)?,
            table: r.try_get_by_index(1)?,
            name: r.try_get_by_index(2)?,
            permissive: r.try_get_by_index(3)?,
            command: r.try_get_by_index(4)?,
            roles,
            using: r.try_get_by_index(6)?,
            with_check: r.try_get_by_index(7)?,
        })
    })
    .await
}

/// Table-wide privileges, and column privileges as `UPDATE ("column")`: a column grant is
/// what lets a role write some columns of a table and not others, so it is compared too.
pub(super) async fn grants(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Grant>> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text,
                CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee)::text END,
                g.privilege_type, g.is_grantable
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
              aclexplode(c.relacl) g
         WHERE c.relkind IN ('r', 'p') AND g.grantee <> c.relowner AND {relation}
         UNION ALL
         SELECT n.nspname::text, c.relname::text,
                CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee)::text END,
                g.privilege_type || ' (' || quote_ident(a.attname) || ')', g.is_grantable
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped,
              aclexplode(a.attacl) g
         WHERE c.relkind IN ('r', 'p') AND g.grantee <> c.relowner AND {relation}",
        relation = project_relation("c", "n")
    );
    read(db, "grants", &sql, |r| {
        Ok(Grant {
            schema: r.try_get_by_index(0)?,
            table: r.try_get_by_index(1)?,
            role: r.try_get_by_index(2)?,
            privilege: r.try_get_by_index(3)?,
            grantable: r.try_get_by_index(4)?,
        })
    })
    .await
}
