//! Two-way service claiming over GraphQL: `serviceItems`, `serviceItem`, `serviceClaim`,
//! `serviceFollowThrough`, and the posting, claiming and claim-step mutations. Nested fields
//! load through `Loaders::service_items`, batched per request and bound to what the caller may
//! see.

/// Posting, closing, cancelling, rescheduling, claiming and the claim steps.
mod mutations;
/// `serviceItems`, `serviceItem`, `serviceClaim`, `serviceFollowThrough`.
mod queries;
/// The service-item types and their field resolvers, and the inputs.
mod types;

pub use mutations::ServiceMutation;
pub use queries::ServiceQuery;
pub use types::ServiceItem;
