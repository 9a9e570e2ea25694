//! The integration suite: every test spawns the real server on port 0 over a fresh database
//! (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set) and speaks GraphQL over HTTP.
mod helpers;

mod access;
mod accounts;
mod auth;
mod cli;
mod committee;
mod conformance;
mod events;
mod figures;
mod hardening;
mod limits;
mod notifications;
mod ops;
mod people;
mod realtime;
mod regions;
mod residents;
mod scale;
mod schema;
mod seed;
mod service_items;
mod sessions;
