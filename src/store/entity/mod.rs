//! sea-orm entities: the tables as the store sees them. Never exposed through GraphQL.
pub mod account;
pub mod audit_log;
pub mod refresh_token;
pub mod region;
pub mod session;
