//! Who is calling: password hashing, access JWTs, refresh tokens and the `Principal`.

/// Access tokens: signing with the active key, verifying with any configured `kid`.
pub mod jwt;
/// argon2id password hashing, run off the async threads.
pub mod password;
/// The resolved caller and the region scope every store query filters by.
pub mod principal;
/// Opaque refresh tokens: generation and the hash stored at rest.
pub mod refresh;

pub use principal::{Principal, Scope};
