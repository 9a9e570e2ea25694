//! gridhub: the GraphQL backend of grid governance (see the README and DESIGN).

/// Who may see and do what: the principal, read filters, write rules.
pub mod access;
/// Building and running the application.
pub mod app;
/// Who is calling: passwords, tokens.
pub mod auth;
/// Request budgets per client address and per account.
pub mod budget;
/// The `gridhub` command line.
pub mod cli;
/// The application clock (manual in tests).
pub mod clock;
/// Settings from the environment.
pub mod config;
/// Pure domain rules and types.
pub mod domain;
/// The error type and its codes.
pub mod error;
/// The GraphQL schema and resolvers.
pub mod graphql;
/// HTTP routes and middleware.
pub mod http;
/// Background jobs (sweeps) under one supervisor.
pub mod jobs;
/// Encryption and keyed hashing of personal data.
pub mod pii;
/// Event changes fanned out to subscribers, across instances through PostgreSQL NOTIFY.
pub mod realtime;
/// The demo data set (`gridhub seed demo`).
pub mod seed;
/// Use-cases.
pub mod service;
/// The shared application state.
pub mod state;
/// The data layer.
pub mod store;
/// Logs and metrics.
pub mod telemetry;
