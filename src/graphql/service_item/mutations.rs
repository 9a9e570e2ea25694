//! The service-item mutations: posting, the poster's steps, claiming and the claim steps.
use super::types::{CompleteClaimInput, PostServiceItemInput, ServiceClaim, ServiceItem};
use crate::graphql::photo::read_uploads;
use crate::graphql::{actor, state};
use crate::service::service_item::{self as service, Completion, NewServiceItem};
use async_graphql::{Context, Object, Result};
use chrono::NaiveDate;
use uuid::Uuid;

#[derive(Default)]
pub struct ServiceMutation;

#[Object]
impl ServiceMutation {
    /// A need (community staff, for a community; `MICRO_WISH` needs name the resident) or an
    /// offer (a unit liaison, to a committee its unit sits on).
    async fn post_service_item(
        &self,
        ctx: &Context<'_>,
        input: PostServiceItemInput,
    ) -> Result<ServiceItem> {
        let row = service::post_service_item(
            state(ctx),
            actor(ctx)?,
            NewServiceItem {
                direction: input.direction,
                kind: input.kind,
                category: input.category,
                title: input.title,
                description: input.description,
                capacity: input.capacity,
                due_on: input.due_on,
                region_id: input.region_id,
                beneficiary_resident_id: input.beneficiary_resident_id,
                photos: read_uploads(ctx, "input.photos", input.photos)?,
            },
        )
        .await?;
        Ok(row.into())
    }

    /// The poster stops taking claims (`OPEN`/`FULL` → `CLOSED`); claims made carry on.
    async fn close_service_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceItem> {
        Ok(
            service::close_service_item(state(ctx), actor(ctx)?, id, note)
                .await?
                .into(),
        )
    }

    /// The poster withdraws an item nobody holds a claim on (→ `CANCELLED`).
    async fn cancel_service_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceItem> {
        Ok(
            service::cancel_service_item(state(ctx), actor(ctx)?, id, note)
                .await?
                .into(),
        )
    }

    /// The poster moves the due date of an open or full item.
    async fn reschedule_service_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        due_on: NaiveDate,
        note: Option<String>,
    ) -> Result<ServiceItem> {
        Ok(
            service::reschedule_service_item(state(ctx), actor(ctx)?, id, due_on, note)
                .await?
                .into(),
        )
    }

    /// A unit liaison claims a need for its unit; a community worker claims an offer for its
    /// community. `CONFLICT` when no place is left or you already hold a claim on it.
    async fn claim_service_item(
        &self,
        ctx: &Context<'_>,
        item_id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::claim_service_item(state(ctx), actor(ctx)?, item_id, note)
                .await?
                .into(),
        )
    }

    /// The claimant starts the work (`CLAIMED` → `IN_PROGRESS`).
    async fn start_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::start_claim(state(ctx), actor(ctx)?, claim_id, note)
                .await?
                .into(),
        )
    }

    /// The claimant reports the work done (`IN_PROGRESS` → `COMPLETED`).
    async fn complete_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        input: CompleteClaimInput,
    ) -> Result<ServiceClaim> {
        Ok(service::complete_claim(
            state(ctx),
            actor(ctx)?,
            claim_id,
            Completion {
                people_served: input.people_served,
                notes: input.notes,
                photos: read_uploads(ctx, "input.photos", input.photos)?,
            },
        )
        .await?
        .into())
    }

    /// The poster's side accepts the report (`COMPLETED` → `VERIFIED`): the community for a
    /// need, the offering unit for an offer.
    async fn verify_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        note: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::verify_claim(state(ctx), actor(ctx)?, claim_id, note)
                .await?
                .into(),
        )
    }

    /// The claimant backs out before reporting (`CLAIMED`/`IN_PROGRESS` → `WITHDRAWN`); the
    /// place goes back on the list.
    async fn withdraw_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        reason: Option<String>,
    ) -> Result<ServiceClaim> {
        Ok(
            service::withdraw_claim(state(ctx), actor(ctx)?, claim_id, reason)
                .await?
                .into(),
        )
    }
}
