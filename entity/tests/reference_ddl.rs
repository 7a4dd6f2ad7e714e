//! Checks, without a database, that the entities match the Phase-1 reference DDL:
//! column names, SQL types and nullability, foreign keys, relations and enum labels.

use entity::prelude::*;
use entity::*;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::StringLen;
use sea_orm::{ActiveEnum, DbBackend, Iterable, RelationType, Schema};

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

/// The name `information_schema.columns` gives a column type.
fn pg_type(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Uuid => "uuid".into(),
        ColumnType::String(StringLen::N(n)) => format!("character varying({n})"),
        ColumnType::Text => "text".into(),
        ColumnType::DateTime => "timestamp without time zone".into(),
        ColumnType::Date => "date".into(),
        ColumnType::JsonBinary => "jsonb".into(),
        ColumnType::Decimal(Some((p, s))) => format!("numeric({p},{s})"),
        ColumnType::Integer => "integer".into(),
        ColumnType::BigInteger => "bigint".into(),
        ColumnType::Boolean => "boolean".into(),
        ColumnType::Inet => "inet".into(),
        ColumnType::Enum { name, .. } => name.to_string(),
        other => panic!("column type not used by the reference DDL: {other:?}"),
    }
}

fn describe<E: EntityTrait>(entity: E) -> String {
    let columns = E::Column::iter()
        .map(|column| {
            let def = column.def();
            let nullable = if def.is_null() { "YES" } else { "NO" };
            format!(
                "{}:{}:{nullable}",
                column.as_str(),
                pg_type(def.get_column_type())
            )
        })
        .collect::<Vec<_>>();
    format!("{}|{}", entity.table_name(), columns.join(" "))
}

fn create_table_sql<E: EntityTrait>(entity: E) -> String {
    DbBackend::Postgres
        .build(&Schema::new(DbBackend::Postgres).create_table_from_entity(entity))
        .to_string()
}

macro_rules! for_each_entity {
    ($f:ident) => {
        vec![
            $f(Accounts),
            $f(Agents),
            $f(Artifacts),
            $f(AuditLogs),
            $f(AuthSessions),
            $f(ChatSessions),
            $f(Conversations),
            $f(Invitations),
            $f(Messages),
            $f(MonthlyUsage),
            $f(UsageAlerts),
            $f(UsageLogs),
            $f(UserAgentPermissions),
            $f(Users),
            $f(VerificationTokens),
        ]
    };
}

#[test]
fn columns_match_reference_ddl() {
    let actual = for_each_entity!(describe);
    let expected = REFERENCE_COLUMNS.lines().collect::<Vec<_>>();
    assert_eq!(actual.len(), expected.len());
    for (actual, expected) in actual.iter().zip(expected) {
        assert_eq!(actual, expected);
    }
}

#[test]
fn foreign_keys_match_reference_ddl() {
    let tables = for_each_entity!(create_table_sql);
    let mut found = 0;
    for sql in &tables {
        found += sql.matches("FOREIGN KEY").count();
    }
    assert_eq!(found, REFERENCE_FOREIGN_KEYS.len(), "extra or missing FKs");
    for (table, column, parent, on_delete) in REFERENCE_FOREIGN_KEYS {
        let sql = tables
            .iter()
            .find(|sql| sql.starts_with(&format!("CREATE TABLE \"{table}\" ")))
            .expect("table");
        let fk = format!(
            "FOREIGN KEY (\"{column}\") REFERENCES \"{parent}\" (\"id\") \
             ON DELETE {on_delete} ON UPDATE CASCADE"
        );
        assert!(sql.contains(&fk), "{table}: missing `{fk}` in {sql}");
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
