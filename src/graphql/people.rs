//! Grid members and member units over GraphQL.
use super::account::Account;
use super::loaders::Loaders;
use super::page::{connection, connection_cost};
use super::region::Region;
use super::{actor, state};
use crate::domain::page::PageRequest;
use crate::domain::people::{CommitteeKind, GridMemberKind, GridRole, MemberUnitKind, Occupation};
use crate::domain::person::mask_phone;
use crate::domain::region::RegionLevel;
use crate::service::people::{self as service, Joining, NewGridMember, NewMemberUnit};
use crate::store::grid_member::{AssignmentRow, GridMemberFilter, GridMemberRow};
use crate::store::member_unit::{MemberUnitFilter, MemberUnitRow, MembershipRow};
use crate::store::named::Seen;
use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use std::borrow::Cow;
use uuid::Uuid;

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct GridMember {
    pub id: Uuid,
    pub name: String,
    pub kind: GridMemberKind,
    pub occupation: Occupation,
    pub employer: Option<String>,
    pub party_member: bool,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub region_id: Uuid,
    #[graphql(skip)]
    pub account_id: Option<Uuid>,
    #[graphql(skip)]
    pub phone_enc: String,
}

impl From<GridMemberRow> for GridMember {
    fn from(row: GridMemberRow) -> Self {
        GridMember {
            id: row.id,
            name: row.name,
            kind: row.kind,
            occupation: row.occupation,
            employer: row.employer,
            party_member: row.party_member,
            created_at: row.created_at,
            region_id: row.region_id,
            account_id: row.account_id,
            phone_enc: row.phone_enc,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct GridAssignment {
    pub role: GridRole,
    pub assigned_at: DateTime<Utc>,
    #[graphql(skip)]
    pub grid_id: Uuid,
}

impl From<AssignmentRow> for GridAssignment {
    fn from(row: AssignmentRow) -> Self {
        GridAssignment {
            role: row.role,
            assigned_at: row.created_at,
            grid_id: row.grid_id,
        }
    }
}

#[ComplexObject]
impl GridAssignment {
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_by_id
            .load_one(self.grid_id)
            .await?
            .map(Region::from))
    }
}

#[ComplexObject]
impl GridMember {
    /// Masked.
    async fn phone(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(mask_phone(
            &state(ctx).pii.decrypt("phone", &self.phone_enc)?,
        ))
    }

    /// The community (or sub-district) the member is registered with.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_by_id
            .load_one(self.region_id)
            .await?
            .map(Region::from))
    }

    /// Grids the member works, in your scope.
    async fn assignments(&self, ctx: &Context<'_>) -> Result<Vec<GridAssignment>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .assignments_by_member
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(GridAssignment::from)
            .collect())
    }

    /// The login account, if the member has one.
    async fn account(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(id) = self.account_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders.account_by_id.load_one(id).await?.map(Account::from))
    }
}

#[derive(SimpleObject)]
pub struct ServiceAgreement {
    /// What the unit commits to do for the committee's residents.
    pub commitments: Vec<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CommitteeMembership {
    pub kind: CommitteeKind,
    /// The unit's person who sits on the committee as a concurrent member (兼职委员).
    pub concurrent_member_name: Option<String>,
    pub joined_on: NaiveDate,
    pub agreement: ServiceAgreement,
    #[graphql(skip)]
    pub region_id: Uuid,
}

impl From<MembershipRow> for CommitteeMembership {
    fn from(row: MembershipRow) -> Self {
        CommitteeMembership {
            // Decided by the committee's region level, resolved below; community is the default.
            kind: CommitteeKind::CommunityPartyCommittee,
            concurrent_member_name: row.concurrent_member_name,
            joined_on: row.joined_on,
            agreement: ServiceAgreement {
                commitments: serde_json::from_str(&row.commitments).unwrap_or_default(),
                valid_from: row.valid_from,
                valid_to: row.valid_to,
            },
            region_id: row.region_id,
        }
    }
}

#[ComplexObject]
impl CommitteeMembership {
    /// The community or sub-district whose committee this is.
    async fn committee_region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_by_id
            .load_one(self.region_id)
            .await?
            .map(Region::from))
    }
}

fn with_kind(
    mut membership: CommitteeMembership,
    level: Option<RegionLevel>,
) -> CommitteeMembership {
    if level == Some(RegionLevel::SubDistrict) {
        membership.kind = CommitteeKind::SubDistrictWorkingCommittee;
    }
    membership
}

/// A member unit as shown to someone. A list that shows its units by name reads only their
/// names (`store::named`); any other field reads the whole row first.
pub struct MemberUnit {
    seen: Seen<MemberUnitRow>,
}

impl From<MemberUnitRow> for MemberUnit {
    fn from(row: MemberUnitRow) -> Self {
        Seen::Whole(row).into()
    }
}

impl From<Seen<MemberUnitRow>> for MemberUnit {
    fn from(seen: Seen<MemberUnitRow>) -> Self {
        MemberUnit { seen }
    }
}

impl MemberUnit {
    /// The whole row: as read, or read now when only the name was.
    async fn row(&self, ctx: &Context<'_>) -> Result<Cow<'_, MemberUnitRow>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        super::look::whole(
            &self.seen,
            |id| loaders.member_unit_row(id),
            "成员单位不存在",
        )
        .await
    }
}

#[Object(serial)]
impl MemberUnit {
    async fn id(&self) -> Uuid {
        self.seen.id()
    }

    async fn name(&self) -> &str {
        self.seen.name()
    }

    async fn kind(&self, ctx: &Context<'_>) -> Result<MemberUnitKind> {
        Ok(self.row(ctx).await?.kind)
    }

    async fn contact_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.row(ctx).await?.contact_name.clone())
    }

    async fn address(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.row(ctx).await?.address.clone())
    }

    async fn created_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(self.row(ctx).await?.created_at)
    }

    /// Masked.
    async fn contact_phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        match &self.row(ctx).await?.contact_phone_enc {
            Some(enc) => Ok(Some(mask_phone(&state(ctx).pii.decrypt("phone", enc)?))),
            None => Ok(None),
        }
    }

    /// Where the unit is registered (`null` for city-level units or outside your scope).
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Box<Region>>> {
        let Some(id) = self.row(ctx).await?.region_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_by_id
            .load_one(id)
            .await?
            .map(|row| Box::new(Region::from(row))))
    }

    /// The unit's seats on committees in your scope, with their service agreements.
    async fn committees(&self, ctx: &Context<'_>) -> Result<Vec<CommitteeMembership>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        let rows = loaders
            .memberships_by_unit
            .load_one(self.seen.id())
            .await?
            .unwrap_or_default();
        let regions = loaders
            .region_by_id
            .load_many(rows.iter().map(|r| r.region_id))
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let level = regions.get(&row.region_id).map(|r| r.level);
                with_kind(CommitteeMembership::from(row), level)
            })
            .collect())
    }
}

#[derive(InputObject)]
pub struct CreateGridMemberInput {
    /// The community (or sub-district) the member registers with.
    pub region_id: Uuid,
    pub name: String,
    pub phone: String,
    pub kind: GridMemberKind,
    pub occupation: Occupation,
    pub employer: Option<String>,
    #[graphql(default = false)]
    pub party_member: bool,
    /// Set to also create the member's GRID_MEMBER login (admins only), with the member's phone.
    pub password: Option<String>,
}

#[derive(InputObject)]
pub struct CreateMemberUnitInput {
    pub name: String,
    pub kind: MemberUnitKind,
    /// A community, sub-district or city region; empty for a city-level unit (city admins).
    pub region_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
}

#[derive(InputObject)]
pub struct ServiceAgreementInput {
    pub commitments: Vec<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct JoinCommitteeInput {
    pub unit_id: Uuid,
    /// A community (its big party committee) or sub-district (its big working committee).
    pub committee_region_id: Uuid,
    pub concurrent_member_name: Option<String>,
    pub joined_on: NaiveDate,
    pub agreement: ServiceAgreementInput,
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// Grid members registered in your scope (community workers and above).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn grid_members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<GridMemberKind>,
        occupation: Option<Occupation>,
        #[graphql(desc = "Only members assigned to this grid.")] grid_id: Option<Uuid>,
    ) -> Result<Connection<String, GridMember>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let filter = GridMemberFilter {
            kind,
            occupation,
            grid_id,
        };
        let rows = service::list_grid_members(state(ctx), actor(ctx)?, filter, &page).await?;
        Ok(connection(
            rows,
            &page,
            |r| r.id.to_string(),
            GridMember::from,
        ))
    }

    /// Member units you can see: registered in your scope, city-level, or on a committee in
    /// your scope. A unit liaison sees its own unit.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn member_units(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<MemberUnitKind>,
        #[graphql(desc = "Only members of this community's or sub-district's committee.")]
        committee_region_id: Option<Uuid>,
        search: Option<String>,
    ) -> Result<Connection<String, MemberUnit>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let filter = MemberUnitFilter {
            kind,
            committee_region_id,
            search: search
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
        };
        let rows = service::list_member_units(state(ctx), actor(ctx)?, filter, &page).await?;
        Ok(connection(
            rows,
            &page,
            |r| r.id.to_string(),
            MemberUnit::from,
        ))
    }
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    async fn create_grid_member(
        &self,
        ctx: &Context<'_>,
        input: CreateGridMemberInput,
    ) -> Result<GridMember> {
        let row = service::create_grid_member(
            state(ctx),
            actor(ctx)?,
            NewGridMember {
                region_id: input.region_id,
                name: input.name,
                phone: input.phone,
                kind: input.kind,
                occupation: input.occupation,
                employer: input.employer,
                party_member: input.party_member,
                password: input.password,
            },
        )
        .await?;
        Ok(row.into())
    }

    /// Assigns a member to a grid; a grid has at most one HEAD.
    async fn assign_grid(
        &self,
        ctx: &Context<'_>,
        member_id: Uuid,
        grid_id: Uuid,
        #[graphql(desc = "Defaults to MEMBER.")] role: Option<GridRole>,
    ) -> Result<GridMember> {
        let role = role.unwrap_or(GridRole::Member);
        let state = state(ctx);
        let actor = actor(ctx)?;
        service::assign_grid(state, actor, member_id, grid_id, role).await?;
        let member = crate::store::grid_member::find(&state.db, member_id, &actor.principal.scope)
            .await
            .map_err(crate::error::AppError::from)?
            .ok_or_else(|| crate::error::AppError::not_found("网格员"))?;
        Ok(member.into())
    }

    async fn create_member_unit(
        &self,
        ctx: &Context<'_>,
        input: CreateMemberUnitInput,
    ) -> Result<MemberUnit> {
        let row = service::create_member_unit(
            state(ctx),
            actor(ctx)?,
            NewMemberUnit {
                name: input.name,
                kind: input.kind,
                region_id: input.region_id,
                contact_name: input.contact_name,
                contact_phone: input.contact_phone,
                address: input.address,
            },
        )
        .await?;
        Ok(row.into())
    }

    /// Enrols a unit in a community's big party committee or a sub-district's big working
    /// committee, with its signed service agreement.
    async fn join_committee(
        &self,
        ctx: &Context<'_>,
        input: JoinCommitteeInput,
    ) -> Result<MemberUnit> {
        let state = state(ctx);
        let actor = actor(ctx)?;
        let unit_id = input.unit_id;
        service::join_committee(
            state,
            actor,
            Joining {
                unit_id,
                committee_region_id: input.committee_region_id,
                concurrent_member_name: input.concurrent_member_name,
                joined_on: input.joined_on,
                commitments: input.agreement.commitments,
                valid_from: input.agreement.valid_from,
                valid_to: input.agreement.valid_to,
            },
        )
        .await?;
        let unit = crate::store::member_unit::find(&state.db, unit_id, &actor.principal.scope)
            .await
            .map_err(crate::error::AppError::from)?
            .ok_or_else(|| crate::error::AppError::not_found("成员单位"))?;
        Ok(unit.into())
    }
}
