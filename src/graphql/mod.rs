//! The GraphQL API: schema build (limits, extensions), per-domain Query/Mutation objects merged
//! into one root, types mapped from the domain, per-request DataLoaders, error codes.
use crate::access::Actor;
use crate::config::Settings;
use crate::error::AppError;
use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};

/// Accounts: `me`, `accounts`, `createAccount`, `disableAccount`.
pub mod account;
/// `auditLog`.
pub mod audit;
/// Committee activities: `committeeActivities`, `recordCommitteeActivity`.
pub mod committee;
/// `dashboard`: figures for admins.
pub mod dashboard;
/// Gives every error `extensions.code` and the request id; counts errors by code.
pub mod errors;
/// Events: reporting, workflow, lists, duplicates, deadlines, leaderboard.
pub mod event;
/// Bounds on the document around the parser: nesting, root fields, aliases, list sizes.
pub mod guard;
/// Names the input field a bad scalar sits in, from the schema's argument and input types.
pub mod input_paths;
/// `labels`: zh-CN display labels of every enum.
pub mod labels;
/// One registry of per-request DataLoaders for nested look-ups, each bound to the caller's scope.
pub mod loaders;
/// The notification inbox.
pub mod notification;
/// Relay connection building shared by every list.
pub mod page;
/// Grid members and member units with their committees.
pub mod people;
/// The `Photo` type and reading uploads, shared by events and service items.
pub mod photo;
/// The region tree: `region`, `regions`, `createRegion`, `updateRegion`.
pub mod region;
/// Residents: `resident`, `residents`, `createResident`, `updateResident`, `revealResidentIdNumber`.
pub mod resident;
/// Two-way service claiming: `serviceItems`, `serviceItem`, `serviceFollowThrough`, posting,
/// claiming and the claim steps.
pub mod service_item;
/// `login`, `refreshSession`, `logout`.
pub mod session;
/// `eventChanged` over graphql-ws.
pub mod subscription;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    account::AccountQuery,
    region::RegionQuery,
    resident::ResidentQueryRoot,
    people::PeopleQuery,
    audit::AuditQuery,
    event::EventQuery,
    labels::LabelQuery,
    service_item::ServiceQuery,
    dashboard::DashboardQuery,
    committee::CommitteeQuery,
    notification::NotificationQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    session::SessionMutation,
    account::AccountMutation,
    region::RegionMutation,
    resident::ResidentMutation,
    people::PeopleMutation,
    event::EventMutation,
    service_item::ServiceMutation,
    committee::CommitteeMutation,
    notification::NotificationMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(subscription::LiveSubscription);

pub type GridSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema with its limits, without runtime data (enough to export the SDL).
pub fn schema_builder(
    settings: &Settings,
) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let limits = &settings.limits;
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(32)
    .limit_directives(8)
    // Depth is checked by the guard, which leaves introspection out of it.
    .extension(guard::DocumentGuard::new(limits, !settings.is_production()));
    if settings.is_production() {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder
}

/// The SDL clients are written against (`schema/schema.graphql`).
pub fn sdl() -> String {
    // Limits and production switches do not change the SDL.
    let settings = Settings::defaults(
        crate::config::Environment::Development,
        ".".into(),
        String::new(),
        Vec::new(),
        Vec::new(),
    );
    schema_builder(&settings).finish().sdl()
}

/// Who is calling, as resolved by the HTTP layer before execution.
pub enum Caller {
    Anonymous,
    Authenticated(Actor),
    /// A token was sent but refused; resolvers that need a caller answer with this error.
    Refused(String),
}

/// The request id, available to resolvers that act without a caller (login).
pub struct RequestId(pub String);

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor, AppError> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Authenticated(actor)) => Ok(actor),
        Some(Caller::Refused(message)) => Err(AppError::Unauthenticated(message.clone())),
        _ => Err(AppError::unauthenticated()),
    }
}

pub fn caller_actor<'a>(ctx: &Context<'a>) -> Option<&'a Actor> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Authenticated(actor)) => Some(actor),
        _ => None,
    }
}

/// A patch field: absent leaves as is (`None`), `null` clears (`Some(None)`).
pub fn patch<T, U>(
    value: async_graphql::MaybeUndefined<T>,
    map: impl Fn(T) -> U,
) -> Option<Option<U>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(map(v))),
    }
}

pub fn state<'a>(ctx: &Context<'a>) -> &'a crate::state::AppState {
    ctx.data_unchecked::<crate::state::AppState>()
}

pub fn request_id(ctx: &Context<'_>) -> String {
    ctx.data_opt::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}
