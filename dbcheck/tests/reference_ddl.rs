//! Checks, without a database, that the entities keep the Phase-1 reference DDL:
//! its columns (names, order, SQL types, nullability), foreign keys, relations and enum labels.
//!
//! It lives in dbcheck so that the entities are read the way drift reads them: the same list
//! of entities, the same column-type mapping (`dbcheck::entities`), no second mapper here.
//!
//! An entity may have more columns than the reference: those a later migration added (e.g. a
//! new nullable column on `users`). They are not checked here: drift compares every column of
//! every entity with the migrated database. Every reference column must still be in its
//! entity, in the reference's order, with the reference's type and nullability, unless
//! [`LATER_CHANGES`] says a later phase changed it.

use dbcheck::entities::{ExpectedTable, expected, normalise_db_type};
use dbcheck::erd::action;
use entity::prelude::*;
use entity::*;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveEnum, Iterable, RelationType};

/// `table|column:type:nullable …`, as `information_schema.columns` reports the
/// tables created by `schema/phase1-reference.sql` (columns in DDL order).
const REFERENCE_COLUMNS: &str = "\
accounts|id:uuid:NO userId:uuid:NO type:character varying(50):NO provider:character varying(100):NO providerAccountId:character varying(255):NO refresh_token:text:YES access_token:text:YES expires_at:integer:YES token_type:character varying(50):YES scope:text:YES id_token:text:YES session_state:character varying(255):YES createdAt:timestamp without time zone:NO updatedAt:timestamp without time zone:NO
agents|id:uuid:NO createdBy:uuid:NO name:character varying(255):NO slug:character varying(255):NO description:text:YES category:character varying(100):NO model:character varying(100):NO config:jsonb:YES endpointUrl:character varying(500):NO systemPrompt:text:YES isPublic:boolean:NO isActive:boolean:NO documentationUrl:character varying(500):YES tutorialUrl:character varying(500):YES capabilities:jsonb:YES totalUses:integer:NO totalMessages:integer:NO averageRating:numeric(3,2):YES createdAt:timestamp without time zone:NO updatedAt:timestamp without time zone:NO
artifacts|id:uuid:NO agentId:uuid:NO userId:character varying(255):NO conversationId:uuid:YES name:character varying(500):NO type:character varying(50):NO content:text:NO version:integer:NO parentId:uuid:YES metadata:jsonb:YES tags:jsonb:YES createdAt:timestamp without time zone:NO updatedAt:timestamp without time zone:NO
audit_logs|id:uuid:NO adminId:uuid:NO action:character varying(100):NO targetId:uuid:YES details:jsonb:YES ipAddress:inet:YES timestamp:timestamp without time zone:NO
auth_sessions|id:uuid:NO sessionToken:character varying(500):NO userId:uuid:NO expires:timestamp without time zone:NO
chat_sessions|id:uuid:NO userId:uuid:NO startedAt:timestamp without time zone:NO lastActivity:timestamp without time zone:NO metadata:jsonb:YES
conversations|id:uuid:NO chatSessionId:uuid:NO agentId:uuid:NO title:character varying(500):NO summary:text:YES messageCount:integer:NO tokenCount:integer:NO createdAt:timestamp without time zone:NO updatedAt:timestamp without time zone:NO
invitations|id:uuid:NO email:character varying(255):NO token:character varying(500):NO role:UserRole:NO status:InvitationStatus:NO invitedBy:uuid:NO expiresAt:timestamp without time zone:NO acceptedAt:timestamp without time zone:YES createdAt:timestamp without time zone:NO
messages|id:uuid:NO conversationId:uuid:NO role:character varying(50):NO content:text:NO tokensInput:integer:YES tokensOutput:integer:YES metadata:jsonb:YES timestamp:timestamp without time zone:NO
monthly_usage|id:uuid:NO userId:uuid:NO year:integer:NO month:integer:NO totalMessages:integer:NO totalTokens:bigint:NO totalCost:numeric(10,2):NO agentUsage:jsonb:NO limitMessages:integer:YES limitTokens:bigint:YES exceededLimit:boolean:NO warningsSent:integer:NO createdAt:timestamp without time zone:NO updatedAt:timestamp without time zone:NO
usage_alerts|id:uuid:NO userId:uuid:NO type:AlertType:NO threshold:integer:NO triggered:boolean:NO resolvedAt:timestamp without time zone:YES createdAt:timestamp without time zone:NO
usage_logs|id:uuid:NO userId:uuid:NO agentId:uuid:NO conversationId:uuid:YES messageId:character varying(255):YES tokensInput:integer:NO tokensOutput:integer:NO totalTokens:integer:NO model:character varying(100):NO costInput:numeric(10,6):NO costOutput:numeric(10,6):NO totalCost:numeric(10,6):NO duration:integer:YES success:boolean:NO errorMessage:text:YES timestamp:timestamp without time zone:NO
user_agent_permissions|id:uuid:NO userId:uuid:NO agentId:uuid:NO grantedBy:character varying(255):YES grantedAt:timestamp without time zone:NO
users|id:uuid:NO email:character varying(255):NO emailVerified:timestamp without time zone:YES name:character varying(255):YES displayName:character varying(255):YES avatar:character varying(500):YES dateOfBirth:date:YES timezone:character varying(100):NO language:character varying(10):NO bio:text:YES role:UserRole:NO permissions:jsonb:YES isActive:boolean:NO personalityProfile:jsonb:YES aiProfileLastUpdate:timestamp without time zone:YES subscriptionTier:SubscriptionTier:NO subscriptionId:character varying(255):YES subscriptionStart:timestamp without time zone:YES subscriptionEnd:timestamp without time zone:YES customLimits:jsonb:YES totalMessages:integer:NO totalTokensUsed:bigint:NO monthlyMessages:integer:NO monthlyTokens:bigint:NO lastResetAt:timestamp without time zone:NO lastInteraction:timestamp without time zone:YES createdAt:timestamp without time zone:NO updatedAt:timestamp without time zone:NO
verification_tokens|identifier:character varying(255):NO token:character varying(500):NO expires:timestamp without time zone:NO";

/// The reference DDL's foreign keys: (table, column, referenced table, ON DELETE).
/// All are `ON UPDATE CASCADE` and reference `"id"`.
const REFERENCE_FOREIGN_KEYS: &[(&str, &str, &str, &str)] = &[
    ("accounts", "userId", "users", "CASCADE"),
    ("auth_sessions", "userId", "users", "CASCADE"),
    ("invitations", "invitedBy", "users", "CASCADE"),
    ("agents", "createdBy", "users", "CASCADE"),
    ("chat_sessions", "userId", "users", "CASCADE"),
    ("conversations", "agentId", "agents", "CASCADE"),
    ("conversations", "chatSessionId", "chat_sessions", "CASCADE"),
    ("messages", "conversationId", "conversations", "CASCADE"),
    ("user_agent_permissions", "userId", "users", "CASCADE"),
    ("user_agent_permissions", "agentId", "agents", "CASCADE"),
    ("artifacts", "agentId", "agents", "CASCADE"),
    ("artifacts", "parentId", "artifacts", "SET NULL"),
    ("usage_logs", "userId", "users", "CASCADE"),
    ("usage_logs", "agentId", "agents", "CASCADE"),
    ("monthly_usage", "userId", "users", "CASCADE"),
    ("usage_alerts", "userId", "users", "CASCADE"),
    ("audit_logs", "adminId", "users", "CASCADE"),
];

/// The Phase-1 tables as the entities describe them, by name.
fn phase1() -> Vec<ExpectedTable> {
    let mut tables: Vec<ExpectedTable> = expected().into_iter().filter(|t| t.phase == 1).collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    tables
}

/// A column as `name:type:nullable`, types in dbcheck's normal form, nullable `YES` or `NO`.
type Column = String;

/// An entity's columns as [`Column`]s, in the entity's order.
fn describe(table: &ExpectedTable) -> Vec<Column> {
    table
        .columns
        .iter()
        .map(|c| {
            let nullable = if c.nullable { "YES" } else { "NO" };
            format!("{}:{}:{nullable}", c.name, c.sql_type)
        })
        .collect()
}

/// The phase-1 tables later phases changed, as (reference line, the line since). Phase 7 made
/// `audit_logs."adminId"` optional (an entry a trigger writes has no admin). The columns later
/// phases added (there: `actorId` and `dbRole`, who wrote an automatic entry) need no entry
/// here: an entity may have columns beyond the reference.
const LATER_CHANGES: &[(&str, &str)] = &[(
    "audit_logs|id:uuid:NO adminId:uuid:NO action:character varying(100):NO targetId:uuid:YES details:jsonb:YES ipAddress:inet:YES timestamp:timestamp without time zone:NO",
    "audit_logs|id:uuid:NO adminId:uuid:YES action:character varying(100):NO targetId:uuid:YES details:jsonb:YES ipAddress:inet:YES timestamp:timestamp without time zone:NO",
)];

/// A reference line as later phases left it.
fn as_changed_later(line: &str) -> &str {
    LATER_CHANGES
        .iter()
        .find(|(before, _)| *before == line)
        .map_or(line, |(_, after)| after)
}

/// A line of [`REFERENCE_COLUMNS`] as its table and [`Column`]s, types normalised as
/// [`describe`]'s. Types hold spaces (`character varying(50)`), so a column ends at its `:YES`
/// or `:NO`.
fn normalise(line: &str) -> (&str, Vec<Column>) {
    let (table, rest) = line.split_once('|').expect("table|columns");
    let mut columns = Vec::new();
    let mut pending = String::new();
    for word in rest.split(' ') {
        pending = if pending.is_empty() {
            word.to_owned()
        } else {
            format!("{pending} {word}")
        };
        if let Some((head, nullable)) = pending.rsplit_once(':')
            && matches!(nullable, "YES" | "NO")
        {
            let (name, sql_type) = head.split_once(':').expect("column:type");
            columns.push(format!("{name}:{}:{nullable}", normalise_db_type(sql_type)));
            pending.clear();
        }
    }
    assert!(pending.is_empty(), "unterminated column in {line}");
    (table, columns)
}

/// The column's name: a [`Column`] up to its first `:`.
fn name(column: &str) -> &str {
    column.split_once(':').map_or(column, |(name, _)| name)
}

/// How `entity` (a table's columns, in order) falls short of `reference`: a reference column
/// missing, of another type or nullability, or out of the reference's order, one line each.
/// Columns of `entity` that `reference` lacks are allowed anywhere.
fn shortfalls(table: &str, entity: &[Column], reference: &[Column]) -> Vec<String> {
    let mut found = Vec::new();
    // Where the previous reference column is in the entity: the next one must come after it.
    let mut after: Option<usize> = None;
    for wanted in reference {
        let column = name(wanted);
        let Some(at) = entity.iter().position(|c| name(c) == column) else {
            found.push(format!("{table}.{column}: missing from the entity"));
            continue;
        };
        if entity[at] != *wanted {
            found.push(format!(
                "{table}.{column}: the entity has {}, the reference {wanted}",
                entity[at]
            ));
        }
        if let Some(previous) = after.filter(|previous| at < *previous) {
            found.push(format!(
                "{table}.{column}: before {} in the entity, after it in the reference",
                name(&entity[previous])
            ));
        }
        after = Some(after.map_or(at, |previous| previous.max(at)));
    }
    found
}

#[test]
fn every_reference_column_is_in_its_entity_in_order_with_its_type() {
    let entities = phase1();
    let reference: Vec<(&str, Vec<Column>)> = REFERENCE_COLUMNS
        .lines()
        .map(|l| normalise(as_changed_later(l)))
        .collect();
    let names = |tables: Vec<&str>| tables.join(" ");
    assert_eq!(
        names(entities.iter().map(|t| t.name.as_str()).collect()),
        names(reference.iter().map(|(t, _)| *t).collect()),
        "the phase-1 entities are the reference's tables"
    );
    let failures: Vec<String> = entities
        .iter()
        .zip(&reference)
        .flat_map(|(entity, (table, columns))| shortfalls(table, &describe(entity), columns))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Splits `a:t:NO b:t:YES` into [`Column`]s, for the tests of [`shortfalls`].
fn columns(line: &str) -> Vec<Column> {
    line.split(' ').map(str::to_owned).collect()
}

#[test]
fn an_added_column_passes_but_a_missing_changed_or_moved_one_fails() {
    let reference = columns("id:uuid:NO email:text:NO name:text:YES");
    let shortfalls = |entity: &str| shortfalls("users", &columns(entity), &reference);
    // Added by a later migration, at the end or anywhere else.
    assert!(shortfalls("id:uuid:NO email:text:NO name:text:YES nickname:text:YES").is_empty());
    assert!(shortfalls("id:uuid:NO nickname:text:YES email:text:NO name:text:YES").is_empty());
    assert_eq!(
        shortfalls("id:uuid:NO name:text:YES nickname:text:YES"),
        ["users.email: missing from the entity"]
    );
    assert_eq!(
        shortfalls("id:uuid:NO email:varchar:NO name:text:YES"),
        ["users.email: the entity has email:varchar:NO, the reference email:text:NO"]
    );
    assert_eq!(
        shortfalls("id:uuid:NO email:text:YES name:text:YES"),
        ["users.email: the entity has email:text:YES, the reference email:text:NO"]
    );
    assert_eq!(
        shortfalls("id:uuid:NO name:text:YES email:text:NO"),
        ["users.name: before email in the entity, after it in the reference"]
    );
}

#[test]
fn foreign_keys_match_reference_ddl() {
    let tables = phase1();
    let found: usize = tables.iter().map(|t| t.foreign_keys.len()).sum();
    assert_eq!(found, REFERENCE_FOREIGN_KEYS.len(), "extra or missing FKs");
    for (table, column, parent, on_delete) in REFERENCE_FOREIGN_KEYS {
        let fk = tables
            .iter()
            .find(|t| t.name == *table)
            .expect("table")
            .foreign_keys
            .iter()
            .find(|f| f.columns == [*column])
            .unwrap_or_else(|| panic!("{table}: no foreign key on {column}"));
        let target = (
            fk.ref_schema.as_str(),
            fk.ref_table.as_str(),
            &fk.ref_columns[..],
        );
        assert_eq!(
            target,
            ("public", *parent, &["id".to_owned()][..]),
            "{table}.{column}"
        );
        let actions = (action(&fk.on_delete), action(&fk.on_update));
        assert_eq!(actions, (*on_delete, "CASCADE"), "{table}.{column}");
    }
}

/// `Parent: Related<Child>` (has_many) is the reverse of `Child: Related<Parent>`.
fn assert_related_both_ways<P, C>()
where
    P: EntityTrait + Related<C>,
    C: EntityTrait + Related<P>,
{
    let has_many = <P as Related<C>>::to();
    let belongs_to = <C as Related<P>>::to();
    assert_eq!(has_many.rel_type, RelationType::HasMany);
    assert_eq!(belongs_to.rel_type, RelationType::HasOne);
    assert!(has_many.is_owner && !belongs_to.is_owner);
    assert_eq!(has_many.from_tbl, belongs_to.to_tbl);
    assert_eq!(has_many.to_tbl, belongs_to.from_tbl);
    assert_eq!(has_many.from_col, belongs_to.to_col);
    assert_eq!(has_many.to_col, belongs_to.from_col);
}

#[test]
fn relations_are_declared_both_ways() {
    assert_related_both_ways::<Users, Accounts>();
    assert_related_both_ways::<Users, AuthSessions>();
    assert_related_both_ways::<Users, Invitations>();
    assert_related_both_ways::<Users, Agents>();
    assert_related_both_ways::<Users, ChatSessions>();
    assert_related_both_ways::<Users, UserAgentPermissions>();
    assert_related_both_ways::<Users, UsageLogs>();
    assert_related_both_ways::<Users, MonthlyUsage>();
    assert_related_both_ways::<Users, UsageAlerts>();
    assert_related_both_ways::<Users, AuditLogs>();
    assert_related_both_ways::<Agents, Conversations>();
    assert_related_both_ways::<Agents, UserAgentPermissions>();
    assert_related_both_ways::<Agents, Artifacts>();
    assert_related_both_ways::<Agents, UsageLogs>();
    assert_related_both_ways::<ChatSessions, Conversations>();
    assert_related_both_ways::<Conversations, Messages>();

    // Self-reference: artifacts.parentId -> artifacts.id.
    let parent = artifacts::Relation::Parent.def();
    let children = artifacts::Relation::Children.def();
    assert_eq!(parent.rel_type, RelationType::HasOne);
    assert_eq!(children.rel_type, RelationType::HasMany);
    assert_eq!(parent.from_col, children.to_col);
    assert_eq!(parent.to_col, children.from_col);
}

fn labels<E: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
    E::iter().map(|variant| variant.to_value()).collect()
}

#[test]
fn enums_match_reference_ddl() {
    assert_eq!(UserRole::name().to_string(), "UserRole");
    assert_eq!(
        labels::<UserRole>(),
        [
            "SUPER_ADMIN",
            "ADMIN",
            "INVITED_AGENT",
            "INVITED_STORAGE",
            "SUBSCRIBER",
            "MANAGER",
            "DEVELOPER",
            "USER",
            "GUEST",
        ]
    );
    assert_eq!(SubscriptionTier::name().to_string(), "SubscriptionTier");
    assert_eq!(
        labels::<SubscriptionTier>(),
        ["FREE", "BASIC", "PRO", "ENTERPRISE", "CUSTOM", "UNLIMITED"]
    );
    assert_eq!(InvitationStatus::name().to_string(), "InvitationStatus");
    assert_eq!(
        labels::<InvitationStatus>(),
        ["PENDING", "ACCEPTED", "EXPIRED", "CANCELLED"]
    );
    assert_eq!(AlertType::name().to_string(), "AlertType");
    assert_eq!(
        labels::<AlertType>(),
        [
            "APPROACHING_LIMIT",
            "LIMIT_WARNING",
            "LIMIT_EXCEEDED",
            "UNUSUAL_ACTIVITY",
        ]
    );
}
