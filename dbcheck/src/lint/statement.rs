//! What the lint reads from one parsed statement: the table or index it creates, the tables it
//! touches, and whether it sets `lock_timeout`. Names come from the syntax tree, never from text.

use std::collections::HashMap;

use squawk_syntax::SyntaxNode;
use squawk_syntax::ast::{self, AstNode};

/// A table's name as the lint compares names: `schema.table`, or the bare name in `public`,
/// the schema an unqualified name of these migrations resolves to.
fn qualified(schema: Option<ast::PathRef>, name: String) -> String {
    match schema.and_then(|s| s.segment()).map(|s| s.text()) {
        Some(schema) if schema != "public" => format!("{schema}.{name}"),
        _ => name,
    }
}

/// The name a definition (`CREATE TABLE x`) gives.
fn defined(path: ast::Path) -> Option<String> {
    Some(qualified(path.qualifier(), path.segment()?.text()))
}

/// The name a reference (`ALTER TABLE x`) uses.
fn referenced(path: ast::PathRef) -> Option<String> {
    Some(qualified(path.qualifier(), path.segment()?.text()))
}

/// The table of a `TableNameRef` (`ALTER TABLE`, `DROP TABLE`, `ON` of a policy).
fn table(name: Option<ast::TableNameRef>) -> Option<String> {
    referenced(name?.path_ref()?)
}

/// The table a `CREATE TABLE` makes.
pub fn created_table(stmt: &ast::Stmt) -> Option<String> {
    let ast::Stmt::CreateTable(create) = stmt else {
        return None;
    };
    defined(create.table_name()?.path()?)
}

/// The index a `CREATE INDEX` makes, named in its table's schema as `DROP INDEX` names it, and
/// that table.
pub fn created_index(stmt: &ast::Stmt) -> Option<(String, String)> {
    let ast::Stmt::CreateIndex(create) = stmt else {
        return None;
    };
    let on = table(create.table_relation_name()?.table_name_ref())?;
    let index = create.index()?.path()?.segment()?.text();
    let index = match on.split_once('.') {
        Some((schema, _)) => format!("{schema}.{index}"),
        None => index,
    };
    Some((index, on))
}

/// The tables `stmt` changes: none for a statement that creates only objects other than
/// tables (a type, a schema, a function), and `None` when the lint cannot tell, so that a
/// statement it does not understand is never taken for one on a new table. `indexes` maps
/// the indexes the migration created to their tables, which `DROP INDEX` and `REINDEX` lock.
pub fn tables(stmt: &ast::Stmt, indexes: &HashMap<String, String>) -> Option<Vec<String>> {
    let index = |r: Option<ast::IndexRef>| indexes.get(&referenced(r?.path_ref()?)?).cloned();
    let found: Vec<Option<String>> = match stmt {
        ast::Stmt::CreateTable(_) => vec![created_table(stmt)],
        ast::Stmt::CreateIndex(_) => vec![created_index(stmt).map(|(_, on)| on)],
        ast::Stmt::AlterTable(s) => vec![table(
            s.table_relation_name().and_then(|r| r.table_name_ref()),
        )],
        ast::Stmt::DropTable(s) => s.table_name_refs().map(|r| table(Some(r))).collect(),
        ast::Stmt::DropIndex(s) => s.index_refs().map(|r| index(Some(r))).collect(),
        ast::Stmt::Reindex(s) => match s.reindex_target() {
            Some(ast::ReindexTarget::ReindexTargetTable(t)) => vec![table(t.table_name_ref())],
            Some(ast::ReindexTarget::ReindexTargetIndex(i)) => vec![index(i.index_ref())],
            _ => vec![None],
        },
        ast::Stmt::CreateTrigger(s) => vec![
            s.on_relation()
                .and_then(|on| on.relation_name_ref())
                .and_then(|r| r.path_ref())
                .and_then(referenced),
        ],
        ast::Stmt::CreatePolicy(s) => vec![table(s.on_table().and_then(|on| on.table_name_ref()))],
        ast::Stmt::CreateType(_)
        | ast::Stmt::CreateSchema(_)
        | ast::Stmt::CreateExtension(_)
        | ast::Stmt::CreateFunction(_)
        | ast::Stmt::CreateProcedure(_)
        | ast::Stmt::CreateSequence(_)
        | ast::Stmt::CreateDomain(_)
        | ast::Stmt::CreateRole(_) => vec![],
        _ => vec![None],
    };
    found.into_iter().collect()
}

/// The tables the foreign keys of `stmt` reference: adding a foreign key locks them too.
pub fn referenced_tables(stmt: &ast::Stmt) -> Vec<String> {
    let references = |node: SyntaxNode| {
        ast::ForeignKeyConstraint::cast(node.clone())
            .and_then(|fk| fk.table_name_ref())
            .or_else(|| ast::ReferencesConstraint::cast(node).and_then(|r| r.table()))
    };
    stmt.syntax()
        .descendants()
        .filter_map(|node| table(references(node)))
        .collect()
}

/// Whether `stmt` is `SET [LOCAL] lock_timeout = ...`.
pub fn sets_lock_timeout(stmt: &ast::Stmt) -> bool {
    let ast::Stmt::Set(set) = stmt else {
        return false;
    };
    let Some(ast::SetTarget::SetConfig(config)) = set.set_target() else {
        return false;
    };
    config
        .config_parameter_ref()
        .and_then(|p| p.path_ref())
        .is_some_and(|p| {
            p.qualifier().is_none() && p.segment().is_some_and(|s| s.text() == "lock_timeout")
        })
}
