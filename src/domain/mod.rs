//! Pure rules and types of the domain. No I/O; most unit tests live here.

/// Committee activities: joint meetings and co-building activities, their limits.
pub mod committee;
/// Events: categories, states, the workflow, deadlines, geometry.
pub mod event;
/// Figures for admins: the window of days, CSV cell neutralising.
pub mod figures;
/// Display labels (zh-CN) of every enum the API serves.
pub mod labels;
/// The notification inbox: kinds, who is told what.
pub mod notification;
/// Keyset pagination: page sizes and opaque cursors.
pub mod page;
/// Grid members and member units: kinds, occupations, roles.
pub mod people;
/// Who may log in: phones, names, passwords, masking.
pub mod person;
/// Accepted photo formats, told by content.
pub mod photo;
/// The region tree: levels, nesting, scope paths, grid boundaries.
pub mod region;
/// Residents: ID numbers, residence types, tags, masking.
pub mod resident;
/// The five roles and what each may manage.
pub mod role;
/// Text search: LIKE patterns with the user's wildcards escaped.
pub mod search;
/// Service claiming: item and claim states, who takes which step, due days, micro-wish masking.
pub mod service_item;
