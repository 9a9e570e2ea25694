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
/// Look-ahead: what a document asks of a list's rows.
pub mod look;
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

/// The schema with its limits, without runtime data or the document guard (`Schemas` adds it;
/// enough as is to export the SDL).
fn schema_builder(settings: &Settings) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let limits = &settings.limits;
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(32)
    .limit_directives(8);
    // Depth is checked by the guard, which leaves introspection out of it.
    if settings.is_production() {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder
}

/// The schema twice over the same types and limits. `guarded` runs the document guard as a
/// schema extension: every request whose document, operation and variables come for the first
/// time, and subscriptions. `plain` has no extension: a request of a shape that passed
/// validation before has its document checked here, by the same guard, and its budget charged
/// for the complexity validation found then; async-graphql's own validation (complexity and
/// depth limits included) still runs on it. With any extension, async-graphql resolves every
/// field through the extension chain (two registry look-ups and a `ResolveInfo` per field): the
/// console's page of 50 events spent about 12 % of gridhub's CPU there.
pub struct Schemas {
    pub guarded: GridSchema,
    plain: GridSchema,
    guard: guard::DocumentGuard,
}

impl Schemas {
    pub fn new(settings: &Settings) -> Self {
        let guard = guard::DocumentGuard::new(&settings.limits, !settings.is_production());
        Schemas {
            guarded: schema_builder(settings).extension(guard.clone()).finish(),
            plain: schema_builder(settings).finish(),
            guard,
        }
    }

    /// Runs one request for `payer` (its data already attached).
    pub async fn execute(
        &self,
        mut request: async_graphql::Request,
        state: &crate::state::AppState,
        payer: crate::budget::Payer,
    ) -> async_graphql::Response {
        let Some(shape) = guard::RequestShape::of(&request) else {
            return self.guarded.execute(request).await;
        };
        let Some(complexity) = self.guard.known_complexity(&shape) else {
            return self.guarded.execute(request.data(shape)).await;
        };
        let checked = self
            .guard
            .document(&request.query, &request.variables)
            .await
            .and_then(|doc| {
                guard::charge_complexity(state, payer, complexity)?;
                Ok(doc)
            });
        match checked {
            Ok(doc) => {
                request.set_parsed_query(doc);
                self.plain.execute(request).await
            }
            Err(error) => async_graphql::Response::from_errors(vec![error]),
        }
    }
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
