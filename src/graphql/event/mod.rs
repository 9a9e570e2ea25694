//! Events over GraphQL: reporting (with photo uploads), the workflow mutations, the `events`
//! list, `possibleDuplicates`, deadline rules and the points leaderboard.

/// `reportEvent`, `syncReports`, the workflow steps, `mergeEvents`, `setDeadlineRule`.
mod mutations;
/// `event`, `events`, `possibleDuplicates`, `deadlineRules`, `leaderboard`.
mod queries;
/// The event types and their field resolvers, and the inputs.
mod types;

pub use mutations::EventMutation;
pub use queries::EventQuery;
pub use types::Event;
pub(crate) use types::load_event;
