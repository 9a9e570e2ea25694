//! Use-cases: one function per action. Each checks who may act, validates input, owns its
//! transaction and writes the audit entry. Callers are GraphQL resolvers and the CLI.

/// Creating, listing and disabling accounts.
pub mod account;
/// Telling subscribers of committed event changes.
pub mod announce;
/// Appending to the audit log.
pub mod audit;
/// Committee activities: recording joint meetings and co-building activities, listing them.
pub mod committee;
/// Events: reporting, the handling workflow, deadlines, duplicates, points.
pub mod event;
/// Figures for admins: the dashboard's blocks, the audited CSV export.
pub mod figures;
/// The notification inbox: who is told what, written with the change; read by the owner.
pub mod notification;
/// Grid members and member units with their committees.
pub mod people;
/// Photos: checks, content-addressed storage, opening one the owner allows.
pub mod photo;
/// Opening a photo: asks the owner's module (event, service item, committee activity) whether
/// the caller may see it.
pub mod photo_owner;
/// Building and changing the region tree.
pub mod region;
/// Residents and the protection of their personal data.
pub mod resident;
/// Two-way service claiming: needs and offers, claims and their steps, the release sweep,
/// follow-through figures.
pub mod service_item;
/// Logging in, refreshing, logging out, and turning an access token into a `Principal`.
pub mod session;

/// Community workers and above pass; anyone else is `FORBIDDEN` with `message`.
pub(crate) fn require_staff(
    actor: &crate::access::Actor,
    message: &str,
) -> crate::error::AppResult<()> {
    if actor.principal.is_staff() {
        Ok(())
    } else {
        Err(crate::error::AppError::forbidden(message))
    }
}

/// A write retried with a `clientId` already used: the first result stands if the same caller
/// sent the same payload; another caller's id, or other content under it, is `CONFLICT`
/// (`what`: the kind of record, for the message).
pub(crate) fn check_replay(
    same_caller: bool,
    same_payload: bool,
    what: &str,
) -> crate::error::AppResult<()> {
    use crate::error::AppError;
    if !same_caller {
        return Err(AppError::conflict(
            Some("clientId"),
            "该 clientId 已被使用，请重新生成",
        ));
    }
    if !same_payload {
        return Err(AppError::conflict(
            Some("clientId"),
            format!("该 clientId 已提交过内容不同的{what}"),
        ));
    }
    Ok(())
}
