//! Residents over GraphQL: identifiers only ever masked, except through the audited reveal.
use super::loaders::Loaders;
use super::page::{connection, connection_cost};
use super::region::Region;
use super::{actor, patch, state};
use crate::domain::page::PageRequest;
use crate::domain::person::mask_phone;
use crate::domain::resident::{Gender, ResidenceType, ResidentTag, decode_tags, mask_id_number};
use crate::service::resident::{self as service, ResidentInput, ResidentQuery as Query};
use crate::store::resident::ResidentRow;
use async_graphql::connection::Connection;
use async_graphql::{
    ComplexObject, Context, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Resident {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub household: Option<String>,
    pub residence_type: ResidenceType,
    pub tags: Vec<ResidentTag>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub region_id: Uuid,
    #[graphql(skip)]
    pub id_number_enc: String,
    #[graphql(skip)]
    pub phone_enc: Option<String>,
}

impl From<ResidentRow> for Resident {
    fn from(row: ResidentRow) -> Self {
        Resident {
            id: row.id,
            name: row.name,
            gender: row.gender,
            birth_date: row.birth_date,
            building: row.building,
            unit: row.unit,
            room: row.room,
            address: row.address,
            household: row.household,
            residence_type: row.residence_type,
            tags: decode_tags(&row.tags),
            created_at: row.created_at,
            updated_at: row.updated_at,
            region_id: row.region_id,
            id_number_enc: row.id_number_enc,
            phone_enc: row.phone_enc,
        }
    }
}

#[ComplexObject]
impl Resident {
    /// Masked: first 6 and last 4 digits (`revealResidentIdNumber` for the full value).
    async fn id_number(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(mask_id_number(
            &state(ctx).pii.decrypt("id_number", &self.id_number_enc)?,
        ))
    }

    /// Masked: `138****5678`.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        match &self.phone_enc {
            Some(enc) => Ok(Some(mask_phone(&state(ctx).pii.decrypt("phone", enc)?))),
            None => Ok(None),
        }
    }

    /// The grid or compound the resident lives in.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_by_id
            .load_one(self.region_id)
            .await?
            .map(Region::from))
    }
}

#[derive(InputObject)]
pub struct CreateResidentInput {
    /// The grid or compound the resident lives in.
    pub region_id: Uuid,
    pub name: String,
    /// 18 characters with a valid GB 11643 check digit; gender and birth date follow from it.
    pub id_number: String,
    pub phone: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub household: Option<String>,
    pub residence_type: Option<ResidenceType>,
    pub tags: Option<Vec<ResidentTag>>,
}

#[derive(InputObject)]
pub struct UpdateResidentInput {
    pub region_id: Option<Uuid>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    /// `null` clears.
    pub phone: MaybeUndefined<String>,
    pub building: MaybeUndefined<String>,
    pub unit: MaybeUndefined<String>,
    pub room: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub household: MaybeUndefined<String>,
    pub residence_type: Option<ResidenceType>,
    /// Replaces the tags.
    pub tags: Option<Vec<ResidentTag>>,
}

#[derive(Default)]
pub struct ResidentQueryRoot;

#[Object]
impl ResidentQueryRoot {
    /// One resident in your scope (community workers and above; full-time grid members for their
    /// grids).
    async fn resident(&self, ctx: &Context<'_>, id: Uuid) -> Result<Resident> {
        Ok(service::get(state(ctx), actor(ctx)?, id).await?.into())
    }

    /// Residents in your scope, newest first.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn residents(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only residents in this region or below it.")] within: Option<Uuid>,
        tag: Option<ResidentTag>,
        #[graphql(desc = "Name starts with this.")] name: Option<String>,
        building: Option<String>,
    ) -> Result<Connection<String, Resident>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let rows = service::list(
            state(ctx),
            actor(ctx)?,
            Query {
                within,
                tag,
                name,
                building,
            },
            &page,
        )
        .await?;
        Ok(connection(
            rows,
            &page,
            |r| r.id.to_string(),
            Resident::from,
        ))
    }
}

#[derive(Default)]
pub struct ResidentMutation;

#[Object]
impl ResidentMutation {
    /// Registers a resident (community workers and above, in scope).
    async fn create_resident(
        &self,
        ctx: &Context<'_>,
        input: CreateResidentInput,
    ) -> Result<Resident> {
        let row = service::create_resident(
            state(ctx),
            actor(ctx)?,
            ResidentInput {
                region_id: Some(input.region_id),
                name: Some(input.name),
                gender: None,
                birth_date: None,
                id_number: Some(input.id_number),
                phone: input.phone.map(Some),
                building: input.building.map(Some),
                unit: input.unit.map(Some),
                room: input.room.map(Some),
                address: input.address.map(Some),
                household: input.household.map(Some),
                residence_type: input.residence_type,
                tags: input.tags,
            },
        )
        .await?;
        Ok(row.into())
    }

    async fn update_resident(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateResidentInput,
    ) -> Result<Resident> {
        let row = service::update_resident(
            state(ctx),
            actor(ctx)?,
            id,
            ResidentInput {
                region_id: input.region_id,
                name: input.name,
                gender: None,
                birth_date: None,
                id_number: input.id_number,
                phone: patch(input.phone, |v| v),
                building: patch(input.building, |v| v),
                unit: patch(input.unit, |v| v),
                room: patch(input.room, |v| v),
                address: patch(input.address, |v| v),
                household: patch(input.household, |v| v),
                residence_type: input.residence_type,
                tags: input.tags,
            },
        )
        .await?;
        Ok(row.into())
    }

    /// The full ID number, for community workers and above in scope. The reason is required and
    /// every attempt, refused ones included, is written to the audit log.
    async fn reveal_resident_id_number(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> Result<String> {
        Ok(service::reveal_id_number(state(ctx), actor(ctx)?, id, &reason).await?)
    }
}
