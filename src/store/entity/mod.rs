//! sea-orm entities: the tables as the store sees them. Never exposed through GraphQL.
pub mod account;
pub mod audit_log;
/// Joint meetings and co-building activities of committees.
pub mod committee_activity;
/// The service items a committee activity served.
pub mod committee_activity_item;
/// The member units that took part in a committee activity.
pub mod committee_activity_unit;
pub mod committee_membership;
pub mod deadline_rule;
pub mod event;
pub mod event_resident;
pub mod event_step;
pub mod grid_assignment;
pub mod grid_member;
pub mod member_unit;
/// The notification inbox.
pub mod notification;
pub mod photo;
pub mod points_ledger;
pub mod refresh_token;
pub mod region;
pub mod resident;
/// Claims on service items.
pub mod service_claim;
/// Needs and offers (service claiming).
pub mod service_item;
/// The immutable timeline of a service item.
pub mod service_item_step;
pub mod session;
