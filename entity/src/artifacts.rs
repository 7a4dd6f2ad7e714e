//! Entity for `artifacts`: versioned documents/code produced by agents.

use sea_orm::entity::prelude::*;

/// `userId` is a VARCHAR without a foreign key and `conversationId` has no foreign
/// key either, so neither is a relation; `parentId` points at the previous version
/// (self-reference, `ON DELETE SET NULL`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artifacts", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agent_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    pub conversation_id: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub r#type: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub version: i32,
    pub parent_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub metadata: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub tags: Option<Json>,
    pub created_at: DateTime,
    pub updated_at: DateTime,

    #[sea_orm(
        belongs_to,
        from = "agent_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    pub agent: BelongsTo<super::agents::Entity>,
    /// The artifact this one derives from (`parentId`).
    #[sea_orm(
        self_ref,
        relation_enum = "Parent",
        relation_reverse = "Children",
        from = "parent_id",
        to = "id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    pub parent: BelongsTo<Option<Entity>>,
    /// Artifacts derived from this one.
    #[sea_orm(self_ref, relation_enum = "Children", relation_reverse = "Parent")]
    pub children: HasMany<Entity>,
    /// Tag links (`artifact_tags.artifactId`); named apart from the JSON column `tags`.
    #[sea_orm(has_many)]
    pub artifact_tags: HasMany<super::artifact_tags::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}

/// `artifact -> parent artifact` (`parentId`), for `find_linked`.
#[derive(Clone, Copy, Debug)]
pub struct ParentLink;

impl Linked for ParentLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Parent.def()]
    }
}

/// `artifact -> child artifacts` (rows whose `parentId` is this one), for `find_linked`.
#[derive(Clone, Copy, Debug)]
pub struct ChildrenLink;

impl Linked for ChildrenLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Children.def()]
    }
}
