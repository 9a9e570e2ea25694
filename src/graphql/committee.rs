//! Committee activities over GraphQL: `recordCommitteeActivity` and `committeeActivities`, the
//! `CommitteeActivity` type with its nested fields batched through `Loaders`.
use crate::domain::committee::CommitteeActivityKind;
use crate::domain::labels::Labelled;
use crate::domain::page::PageRequest;
use crate::graphql::account::Account;
use crate::graphql::loaders::Loaders;
use crate::graphql::page::{connection, connection_cost};
use crate::graphql::people::MemberUnit;
use crate::graphql::photo::{Photo, read_uploads};
use crate::graphql::region::Region;
use crate::graphql::service_item::ServiceItem;
use crate::graphql::{actor, state};
use crate::service::committee::{self as service, ActivityQuery, NewCommitteeActivity};
use crate::store::committee::ActivityRow;
use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A joint meeting (联席会议) or co-building activity (共建活动) of a community's big party
/// committee or a sub-district's big working committee.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CommitteeActivity {
    pub id: Uuid,
    /// The id the client minted for the record (a retry with it returns this record).
    pub client_id: Uuid,
    pub kind: CommitteeActivityKind,
    /// `kind` in zh-CN: 联席会议 or 共建活动.
    pub kind_label: String,
    /// The Asia/Shanghai day it was held.
    pub held_on: NaiveDate,
    pub title: String,
    pub people_reached: i32,
    pub notes: Option<String>,
    /// The name of who recorded it, as it was then.
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
    #[graphql(skip)]
    pub region_id: Uuid,
    #[graphql(skip)]
    pub recorded_by_id: Uuid,
}

impl From<ActivityRow> for CommitteeActivity {
    fn from(row: ActivityRow) -> Self {
        CommitteeActivity {
            id: row.id,
            client_id: row.client_id,
            kind: row.kind,
            kind_label: row.kind.label().to_owned(),
            held_on: row.held_on,
            title: row.title,
            people_reached: row.people_reached,
            notes: row.notes,
            recorded_by_name: row.recorded_by_name,
            recorded_at: row.recorded_at,
            region_id: row.region_id,
            recorded_by_id: row.recorded_by,
        }
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

#[ComplexObject]
impl CommitteeActivity {
    /// The committee's region: the community (big party committee) or sub-district (big working
    /// committee).
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)
            .committee_activities
            .region
            .load_one(self.region_id)
            .await?
            .map(Region::from))
    }

    /// The member units that took part.
    async fn units(&self, ctx: &Context<'_>) -> Result<Vec<MemberUnit>> {
        Ok(loaders(ctx)
            .committee_activities
            .units
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(MemberUnit::from)
            .collect())
    }

    /// The service items it served, as far as you may see them.
    async fn service_items(&self, ctx: &Context<'_>) -> Result<Vec<ServiceItem>> {
        let ids = loaders(ctx)
            .committee_activities
            .item_ids
            .load_one(self.id)
            .await?
            .unwrap_or_default();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let items = loaders(ctx)
            .service_items(ctx)
            .await?
            .item_by_id
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| items.get(id).cloned())
            .map(ServiceItem::from)
            .collect())
    }

    /// Pictures of the meeting or activity.
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Photo>> {
        Ok(loaders(ctx)
            .committee_activities
            .photos
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Photo::from)
            .collect())
    }

    /// The account that recorded it, when it is in your scope.
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        Ok(loaders(ctx)
            .account_by_id
            .load_one(self.recorded_by_id)
            .await?
            .map(Account::from))
    }
}

#[derive(InputObject)]
pub struct RecordCommitteeActivityInput {
    /// Mint once per record and send the same one on every retry.
    pub client_id: Uuid,
    /// The committee: a community (big party committee) or sub-district (big working committee).
    pub committee_region_id: Uuid,
    pub kind: CommitteeActivityKind,
    /// The Asia/Shanghai day it was held: today or up to two years back.
    pub held_on: NaiveDate,
    /// 1 to 100 characters.
    pub title: String,
    /// The member units that took part (1 to 50), each on the committee.
    pub unit_ids: Vec<Uuid>,
    /// People reached, 0 to 1,000,000.
    pub people_reached: i32,
    /// At most 2000 characters.
    pub notes: Option<String>,
    /// Service items of the committee it served (up to 20).
    #[graphql(default)]
    pub service_item_ids: Vec<Uuid>,
    /// Up to 9 photos (JPEG, PNG, WebP, HEIC), as GraphQL multipart uploads.
    #[graphql(default)]
    pub photos: Vec<Upload>,
}

#[derive(Default)]
pub struct CommitteeQuery;

#[Object]
impl CommitteeQuery {
    /// Meetings and activities of committees, most recently recorded first. Staff: of the
    /// committees in scope (a `regionId` outside it is `NOT_FOUND`). Unit liaisons: of the
    /// committees their unit sits on. Grid members: `FORBIDDEN`.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn committee_activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only activities of committees in this region's subtree.")]
        region_id: Option<Uuid>,
        #[graphql(desc = "Held on or after this Asia/Shanghai day.")] from: Option<NaiveDate>,
        #[graphql(desc = "Held on or before this Asia/Shanghai day.")] to: Option<NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CommitteeActivity>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let rows = service::list_committee_activities(
            state(ctx),
            actor(ctx)?,
            ActivityQuery {
                region_id,
                from,
                to,
            },
            &page,
        )
        .await?;
        Ok(connection(
            rows,
            &page,
            |r| r.id.to_string(),
            CommitteeActivity::from,
        ))
    }
}

#[derive(Default)]
pub struct CommitteeMutation;

#[Object]
impl CommitteeMutation {
    /// Records a joint meeting or co-building activity of a committee. Community workers and
    /// above for committees in scope; a unit liaison for a committee its unit sits on. The same
    /// `clientId` again returns the first record.
    async fn record_committee_activity(
        &self,
        ctx: &Context<'_>,
        input: RecordCommitteeActivityInput,
    ) -> Result<CommitteeActivity> {
        let row = service::record_committee_activity(
            state(ctx),
            actor(ctx)?,
            NewCommitteeActivity {
                client_id: input.client_id,
                committee_region_id: input.committee_region_id,
                kind: input.kind,
                held_on: input.held_on,
                title: input.title,
                unit_ids: input.unit_ids,
                people_reached: input.people_reached,
                notes: input.notes,
                service_item_ids: input.service_item_ids,
                photos: read_uploads(ctx, "input.photos", input.photos)?,
            },
        )
        .await?;
        Ok(row.into())
    }
}
