//! Access: the one place that decides who may see and do what.
//!
//! - `principal::resolve` turns an account (and session) into the `Principal` with its scope —
//!   for requests, the command line and the seeders alike.
//! - Reads: one filter per kind of row (`Scope` for region-bound rows, `event::EventReach`,
//!   `resident::ResidentReach`, `service_item::ItemViewer`, `committee::ActivityReach`), built
//!   here and applied by the store in SQL.
//! - Writes: pure rules of (step, the actor's standing, the row as it is now), which services
//!   judge together with the state transition on every attempt.

/// A short-lived cache of resolved callers, dropped on every instance at revocation.
pub mod cache;
/// Committee activities: who records and sees them.
pub mod committee;
/// Events: who reaches which, and who may take each workflow step.
pub mod event;
/// Figures (dashboard, export): who sees them, for which region.
pub mod figures;
/// The caller, its scope, and the one function that resolves them.
pub mod principal;
/// Residents: who sees which.
pub mod resident;
/// Service items and claims: who sees, claims and works them.
pub mod service_item;

pub use principal::{Actor, Principal, Scope};
