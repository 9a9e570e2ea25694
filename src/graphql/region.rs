//! The region tree over GraphQL.
use super::loaders::Loaders;
use super::page::{connection, connection_cost};
use super::{actor, patch, state};
use crate::domain::page::PageRequest;
use crate::domain::region::{GridKind, RegionLevel};
use crate::service::region::{self as service, NewRegion, RegionChange, RegionQuery as Query};
use crate::store::region::RegionRow;
use async_graphql::connection::Connection;
use async_graphql::{
    ComplexObject, Context, InputObject, Json, MaybeUndefined, Object, Result, SimpleObject,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A node of the region tree: sub-district, community, grid or compound.
#[derive(SimpleObject)]
#[graphql(complex, serial)]
pub struct Region {
    pub id: Uuid,
    pub level: RegionLevel,
    pub name: String,
    /// Administrative code, if any.
    pub code: Option<String>,
    /// Grids only.
    pub grid_kind: Option<GridKind>,
    /// How deep in the tree (0 at the top).
    pub depth: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub parent_id: Option<Uuid>,
    #[graphql(skip)]
    pub boundary_text: Option<String>,
}

impl From<RegionRow> for Region {
    fn from(row: RegionRow) -> Self {
        Region {
            id: row.id,
            level: row.level,
            name: row.name,
            code: row.code,
            grid_kind: row.grid_kind,
            depth: i32::from(row.depth),
            created_at: row.created_at,
            updated_at: row.updated_at,
            parent_id: row.parent_id,
            boundary_text: row.boundary,
        }
    }
}

#[ComplexObject]
impl Region {
    /// Grid boundary as a GeoJSON Polygon or MultiPolygon (WGS-84 lng/lat).
    async fn boundary(&self) -> Option<Json<serde_json::Value>> {
        self.boundary_text
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .map(Json)
    }

    /// The parent region; `null` at the top or when the parent lies outside your scope.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let Some(parent_id) = self.parent_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_by_id
            .load_one(parent_id)
            .await?
            .map(Region::from))
    }

    /// Direct children in tree order.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Region>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_children
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Region::from)
            .collect())
    }
}

#[derive(InputObject)]
pub struct CreateRegionInput {
    /// Required for every level but a top-level CITY or SUB_DISTRICT.
    pub parent_id: Option<Uuid>,
    pub level: RegionLevel,
    pub name: String,
    pub code: Option<String>,
    /// Grids only; defaults to RESIDENTIAL.
    pub grid_kind: Option<GridKind>,
    /// Grids only: a GeoJSON Polygon or MultiPolygon.
    pub boundary: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct UpdateRegionInput {
    pub name: Option<String>,
    /// `null` clears the code.
    pub code: MaybeUndefined<String>,
    pub grid_kind: Option<GridKind>,
    /// `null` clears the boundary.
    pub boundary: MaybeUndefined<Json<serde_json::Value>>,
    /// Moves the region (and everything below it) under another parent of the right level.
    pub parent_id: Option<Uuid>,
}

#[derive(Default)]
pub struct RegionQuery;

#[Object]
impl RegionQuery {
    /// One region in your scope.
    async fn region(&self, ctx: &Context<'_>, id: Uuid) -> Result<Region> {
        let actor = actor(ctx)?;
        Ok(service::get(state(ctx), actor, id).await?.into())
    }

    /// Regions in your scope, in tree order.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only direct children of this region.")] parent_id: Option<Uuid>,
        #[graphql(desc = "Only regions below this one.")] within: Option<Uuid>,
        level: Option<RegionLevel>,
        #[graphql(desc = "Name contains this text.")] search: Option<String>,
    ) -> Result<Connection<String, Region>> {
        let actor = actor(ctx)?;
        let page = PageRequest::new(first, after.as_deref())?;
        let rows = service::list(
            state(ctx),
            actor,
            Query {
                parent_id,
                within,
                level,
                search,
            },
            &page,
        )
        .await?;
        Ok(connection(rows, &page, |r| r.path.clone(), Region::from))
    }
}

#[derive(Default)]
pub struct RegionMutation;

#[Object]
impl RegionMutation {
    /// Adds a region under a parent of the level above (city and sub-district admins).
    async fn create_region(&self, ctx: &Context<'_>, input: CreateRegionInput) -> Result<Region> {
        let actor = actor(ctx)?;
        let row = service::create_region(
            state(ctx),
            actor,
            NewRegion {
                parent_id: input.parent_id,
                level: input.level,
                name: input.name,
                code: input.code,
                grid_kind: input.grid_kind,
                boundary: input.boundary.map(|j| j.0),
            },
        )
        .await?;
        Ok(row.into())
    }

    /// Renames, re-codes, re-draws or moves a region below your own.
    async fn update_region(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateRegionInput,
    ) -> Result<Region> {
        let actor = actor(ctx)?;
        let row = service::update_region(
            state(ctx),
            actor,
            id,
            RegionChange {
                name: input.name,
                code: patch(input.code, |c| c),
                grid_kind: input.grid_kind,
                boundary: patch(input.boundary, |j| j.0),
                parent_id: input.parent_id,
            },
        )
        .await?;
        Ok(row.into())
    }
}
