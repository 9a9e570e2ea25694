//! The notification inbox: `notifications`, `unreadNotificationCount`,
//! `markNotificationsRead`. Every caller reads its own inbox only.
use super::event::{Event, load_event};
use super::page::{connection, connection_cost};
use super::service_item::ServiceItem;
use super::{actor, state};
use crate::domain::notification::NotificationKind;
use crate::domain::page::PageRequest;
use crate::graphql::loaders::Loaders;
use crate::service::notification as service;
use crate::store::notification::NotificationRow;
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Something you must act on, or news of your report.
pub struct Notification(pub NotificationRow);

#[Object]
impl Notification {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn kind(&self) -> NotificationKind {
        self.0.kind
    }

    /// What happened, in a line (zh-CN).
    async fn message(&self) -> &str {
        &self.0.message
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When you marked it read; `null` while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }

    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }

    /// The event it is about, as you may see it now (`null` if it is not about an event, or
    /// you may no longer see it).
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        load_event(ctx, self.0.event_id).await
    }

    /// The service item it is about, as you may see it now.
    async fn service_item(&self, ctx: &Context<'_>) -> Result<Option<ServiceItem>> {
        let Some(id) = self.0.service_item_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>().service_items(ctx).await?;
        Ok(loaders
            .item_by_id
            .load_one(id)
            .await?
            .map(ServiceItem::from))
    }
}

#[derive(SimpleObject)]
pub struct MarkedRead {
    /// How many of the given notifications changed from unread to read.
    pub marked: u64,
    /// How many of yours stay unread.
    pub unread: u64,
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your notifications, newest first; `unreadOnly` leaves out what you have read.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default_with = "Some(false)")] unread_only: Option<bool>,
    ) -> Result<Connection<String, Notification>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let unread_only = unread_only.unwrap_or(false);
        let rows = service::inbox(state(ctx), actor(ctx)?, unread_only, &page).await?;
        Ok(connection(rows, &page, |r| r.id.to_string(), Notification))
    }

    /// How many of your notifications are unread (the badge).
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(service::unread_count(state(ctx), actor(ctx)?).await?)
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks your notifications among `ids` read. Ids that are not yours, or already read,
    /// change nothing (they are not told apart from ids that do not exist).
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        ids: Vec<Uuid>,
    ) -> Result<MarkedRead> {
        let (marked, unread) = service::mark_read(state(ctx), actor(ctx)?, &ids).await?;
        Ok(MarkedRead { marked, unread })
    }
}
