//! Accounts over GraphQL. Phones are shown masked, except your own.
use super::loaders::Loaders;
use super::page::{connection, connection_cost};
use super::region::Region;
use super::{actor, caller_actor, state};
use crate::domain::page::PageRequest;
use crate::domain::person::mask_phone;
use crate::domain::role::Role;
use crate::service::account::{self as service, NewAccount};
use crate::store::account::{AccountCard, AccountFilter, AccountRow};
use crate::store::named::Seen;
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use uuid::Uuid;

/// An account as shown to someone. A list that shows its reporters by name reads only their
/// names (`store::named`); any other field reads the whole card first.
pub struct Account {
    seen: Seen<AccountCard>,
    /// Set when the region is known without a scoped look-up (the payload of `login`).
    pub own_region: Option<Box<crate::store::region::RegionRow>>,
    /// Set on `me`: the caller's own unit, whatever its scope.
    pub own_unit: Option<Box<crate::store::member_unit::MemberUnitRow>>,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        AccountCard::from(row).into()
    }
}

impl From<AccountCard> for Account {
    fn from(card: AccountCard) -> Self {
        Seen::Whole(card).into()
    }
}

impl From<Seen<AccountCard>> for Account {
    fn from(seen: Seen<AccountCard>) -> Self {
        Account {
            seen,
            own_region: None,
            own_unit: None,
        }
    }
}

impl Account {
    pub fn with_own_region(mut self, region: Option<crate::store::region::RegionRow>) -> Self {
        self.own_region = region.map(Box::new);
        self
    }

    /// The whole card: as read, or read now when only the name was.
    async fn card(&self, ctx: &Context<'_>) -> Result<Cow<'_, AccountCard>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        super::look::whole(&self.seen, |id| loaders.account_card(id), "账号不存在").await
    }
}

#[Object(serial)]
impl Account {
    async fn id(&self) -> Uuid {
        self.seen.id()
    }

    async fn name(&self) -> &str {
        self.seen.name()
    }

    async fn role(&self, ctx: &Context<'_>) -> Result<Role> {
        Ok(self.card(ctx).await?.role)
    }

    async fn disabled(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.card(ctx).await?.disabled_at.is_some())
    }

    async fn disabled_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(self.card(ctx).await?.disabled_at)
    }

    async fn created_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(self.card(ctx).await?.created_at)
    }

    /// The login phone: in full on your own account, masked (`138****5678`) on others.
    async fn phone(&self, ctx: &Context<'_>) -> Result<String> {
        let card = self.card(ctx).await?;
        let phone = state(ctx).pii.decrypt("phone", &card.phone_enc)?;
        let own = caller_actor(ctx).is_some_and(|a| a.principal.account_id == card.id);
        Ok(if own { phone } else { mask_phone(&phone) })
    }

    /// UNIT_LIAISON: the member unit the account speaks for.
    async fn member_unit(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Box<super::people::MemberUnit>>> {
        let Some(id) = self.card(ctx).await?.member_unit_id else {
            return Ok(None);
        };
        let row = match &self.own_unit {
            Some(own) => Some(own.as_ref().clone()),
            None => {
                let loaders = ctx.data_unchecked::<Loaders>();
                loaders.member_unit_by_id.load_one(id).await?
            }
        };
        Ok(row.map(|row| Box::new(row.into())))
    }

    /// The region the account is bound to (`null` for a city admin, or outside your scope).
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Box<Region>>> {
        let Some(region_id) = self.card(ctx).await?.region_id else {
            return Ok(None);
        };
        let row = match &self.own_region {
            Some(own) => Some(own.as_ref().clone()),
            None => {
                let loaders = ctx.data_unchecked::<Loaders>();
                loaders.region_by_id.load_one(region_id).await?
            }
        };
        Ok(row.map(|row| Box::new(row.into())))
    }
}

#[derive(InputObject)]
pub struct CreateAccountInput {
    /// Mainland mobile number; the login name.
    pub phone: String,
    pub name: String,
    /// At least 10 characters with letters and digits.
    pub password: String,
    pub role: Role,
    /// The region the account works in: a sub-district for SUB_DISTRICT_ADMIN, a community for
    /// COMMUNITY_WORKER, a grid for GRID_MEMBER, a community or sub-district for UNIT_LIAISON.
    /// Empty only for CITY_ADMIN. Ignored for UNIT_LIAISON (the unit's region is used).
    pub region_id: Option<Uuid>,
    /// UNIT_LIAISON only: the member unit the liaison speaks for.
    pub member_unit_id: Option<Uuid>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The logged-in account.
    async fn me(&self, ctx: &Context<'_>) -> Result<Account> {
        let actor = actor(ctx)?;
        let own = service::me(state(ctx), actor).await?;
        let mut account = Account::from(own.account);
        account.own_region = own.region.map(Box::new);
        account.own_unit = own.unit.map(Box::new);
        Ok(account)
    }

    /// One account in your scope (admins and community workers).
    async fn account(&self, ctx: &Context<'_>, id: Uuid) -> Result<Account> {
        let actor = actor(ctx)?;
        Ok(service::get(state(ctx), actor, id).await?.into())
    }

    /// Accounts in your scope, newest first (admins and community workers).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        role: Option<Role>,
        #[graphql(desc = "Only accounts bound to this region or below it.")] within: Option<Uuid>,
        #[graphql(default = false)] include_disabled: bool,
    ) -> Result<Connection<String, Account>> {
        let actor = actor(ctx)?;
        let page = PageRequest::new(first, after.as_deref())?;
        let filter = AccountFilter {
            role,
            include_disabled,
        };
        let rows = service::list(state(ctx), actor, filter, within, &page).await?;
        Ok(connection(rows, &page, |r| r.id.to_string(), Account::from))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account at or below your scope, with a role no higher than yours.
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        input: CreateAccountInput,
    ) -> Result<Account> {
        let actor = actor(ctx)?;
        let row = service::create_account(
            state(ctx),
            actor,
            NewAccount {
                phone: input.phone,
                name: input.name,
                password: input.password,
                role: input.role,
                region_id: input.region_id,
                member_unit_id: input.member_unit_id,
            },
        )
        .await?;
        Ok(row.into())
    }

    /// Disables an account in your scope and ends all its sessions at once.
    async fn disable_account(&self, ctx: &Context<'_>, id: Uuid) -> Result<Account> {
        let actor = actor(ctx)?;
        Ok(service::disable_account(state(ctx), actor, id)
            .await?
            .into())
    }
}
