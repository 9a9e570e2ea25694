//! Who is calling: password hashing, access JWTs, refresh tokens. (The caller itself is resolved in `access`.)

/// Access tokens: signing with the active key, verifying with any configured `kid`.
pub mod jwt;
/// argon2id password hashing, run off the async threads.
pub mod password;
/// Opaque refresh tokens: generation and the hash stored at rest.
pub mod refresh;
