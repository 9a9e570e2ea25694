//! The service-item queries: the list, one item or claim, follow-through figures.
use super::types::{
    CommitteeFollowThrough, ServiceClaim, ServiceFollowThrough, ServiceItem, UnitFollowThrough,
};
use crate::domain::page::PageRequest;
use crate::domain::service_item::{
    ServiceCategory, ServiceDirection, ServiceItemKind, ServiceItemState,
};
use crate::graphql::loaders::Loaders;
use crate::graphql::page::{connection, connection_cost};
use crate::graphql::region::Region;
use crate::graphql::{actor, state};
use crate::service::service_item::{self as service, ItemQuery};
use crate::store::service_item::Figures;
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};
use chrono::NaiveDate;
use uuid::Uuid;

#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// Service items you can see, newest first. Staff: items of committees in scope, and offers
    /// made to the committees above them. Unit liaisons: needs of the committees their unit sits
    /// on (a sub-district's working committee covers its communities), their unit's offers, and
    /// what their unit claimed. Grid members: `FORBIDDEN`.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn service_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only items of committees in this region's subtree.")] region_id: Option<
            Uuid,
        >,
        direction: Option<ServiceDirection>,
        kind: Option<ServiceItemKind>,
        category: Option<ServiceCategory>,
        state: Option<ServiceItemState>,
        #[graphql(
            default_with = "Some(false)",
            desc = "Only open items, not past their due date, that you could claim now and hold no claim on."
        )]
        claimable_by_me: Option<bool>,
    ) -> Result<Connection<String, ServiceItem>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let query = ItemQuery {
            region_id,
            direction,
            kind,
            category,
            state,
            claimable_by_me: claimable_by_me.unwrap_or(false),
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        let viewer = loaders.item_viewer(ctx).await?;
        // Each item's region in the list's statement when the document asks for it.
        let look = ctx.look_ahead();
        let asks_region = [look.field("edges").field("node"), look.field("nodes")]
            .iter()
            .any(|node| node.field("region").exists());
        let listed = service::list_service_items(
            crate::graphql::state(ctx),
            actor(ctx)?,
            viewer,
            query,
            &page,
            asks_region,
        )
        .await?;
        let mut rows = Vec::with_capacity(listed.len());
        if listed.iter().any(|(_, region)| region.is_some()) {
            let items = loaders.service_items(ctx).await?;
            for (item, region) in listed {
                if let Some(region) = region {
                    items.hold_party_region(region);
                }
                rows.push(item);
            }
        } else {
            rows.extend(listed.into_iter().map(|(item, _)| item));
        }
        Ok(connection(
            rows,
            &page,
            |r| r.id.to_string(),
            ServiceItem::from,
        ))
    }

    async fn service_item(&self, ctx: &Context<'_>, id: Uuid) -> Result<ServiceItem> {
        Ok(service::find_service_item(state(ctx), actor(ctx)?, id)
            .await?
            .into())
    }

    async fn service_claim(&self, ctx: &Context<'_>, id: Uuid) -> Result<ServiceClaim> {
        Ok(service::find_service_claim(state(ctx), actor(ctx)?, id)
            .await?
            .into())
    }

    /// Agreement follow-through per committee and per member unit over the Asia/Shanghai days
    /// `from` to `to` (inclusive, at most two years), for the committees in `regionId`'s subtree
    /// (default: your scope). Community workers and above.
    async fn service_follow_through(
        &self,
        ctx: &Context<'_>,
        region_id: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ServiceFollowThrough> {
        let report = service::follow_through(state(ctx), actor(ctx)?, region_id, from, to).await?;
        let mut totals = Figures::default();
        for (_, f) in &report.committees {
            totals.add(f);
        }
        Ok(ServiceFollowThrough {
            from: report.from,
            to: report.to,
            region: report.region.map(Region::from),
            committees: report
                .committees
                .into_iter()
                .map(|(id, f)| CommitteeFollowThrough {
                    committee_region_id: id,
                    figures: f.into(),
                })
                .collect(),
            units: report
                .units
                .into_iter()
                .map(|(id, f)| UnitFollowThrough {
                    unit_id: id,
                    figures: f.into(),
                })
                .collect(),
            totals: totals.into(),
        })
    }
}
