//! Two-way service claiming (双向认领), the pure rules: directions, kinds, categories, the states of
//! items and claims, which side of a claim may take which step, input limits, Asia/Shanghai
//! calendar days, and the masked description of a micro-wish's beneficiary.
//!
//! Every claim has two sides: a member unit and a community. For a `NEED` (posted by a community)
//! the unit is the claimant; for an `OFFER` (posted by a unit) the community is. The claimant
//! starts, completes and withdraws; the poster verifies.
use super::region::string_enum;
use super::resident::Gender;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

string_enum!(
    /// 需求清单 (a community's need, claimed by units) or 资源清单 (a unit's offer, claimed by
    /// communities).
    ServiceDirection {
        Need => "NEED",
        Offer => "OFFER",
    }
);

string_enum!(
    /// A service project, or a needy resident's micro-wish (微心愿).
    ServiceItemKind {
        Project => "PROJECT",
        MicroWish => "MICRO_WISH",
    }
);

string_enum!(
    ServiceCategory {
        ElderlyCare => "ELDERLY_CARE",
        ChildCare => "CHILD_CARE",
        Education => "EDUCATION",
        Health => "HEALTH",
        LegalAid => "LEGAL_AID",
        Employment => "EMPLOYMENT",
        Environment => "ENVIRONMENT",
        Safety => "SAFETY",
        Culture => "CULTURE",
        Other => "OTHER",
    }
);

string_enum!(
    /// `OPEN` takes claims; `FULL` has as many live claims as its capacity; `CLOSED` takes no more
    /// claims (the ones made carry on); `CANCELLED` was withdrawn by its poster before any claim.
    ServiceItemState {
        Open => "OPEN",
        Full => "FULL",
        Closed => "CLOSED",
        Cancelled => "CANCELLED",
    }
);

string_enum!(
    /// `CLAIMED → IN_PROGRESS → COMPLETED → VERIFIED`; `WITHDRAWN` by the claimant, `RELEASED` by
    /// the sweep when nothing was started by the item's due date.
    ServiceClaimState {
        Claimed => "CLAIMED",
        InProgress => "IN_PROGRESS",
        Completed => "COMPLETED",
        Verified => "VERIFIED",
        Withdrawn => "WITHDRAWN",
        Released => "RELEASED",
    }
);

string_enum!(
    /// What a timeline entry records.
    ServiceStepAction {
        Posted => "POSTED",
        Claimed => "CLAIMED",
        Started => "STARTED",
        Completed => "COMPLETED",
        Verified => "VERIFIED",
        Withdrawn => "WITHDRAWN",
        Released => "RELEASED",
        Rescheduled => "RESCHEDULED",
        Closed => "CLOSED",
        Cancelled => "CANCELLED",
    }
);

impl ServiceClaimState {
    /// Claims in these states hold one of the item's places (and count for "one claim per
    /// claimant"); withdrawn and released ones gave theirs back.
    pub const HOLDING: &'static [ServiceClaimState] = &[
        ServiceClaimState::Claimed,
        ServiceClaimState::InProgress,
        ServiceClaimState::Completed,
        ServiceClaimState::Verified,
    ];
}

/// The two parties of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Unit,
    Community,
}

impl ServiceDirection {
    /// Who claims: units claim needs, communities claim offers.
    pub fn claimant(self) -> Side {
        match self {
            ServiceDirection::Need => Side::Unit,
            ServiceDirection::Offer => Side::Community,
        }
    }

    /// Who posted, and so verifies.
    pub fn poster(self) -> Side {
        match self.claimant() {
            Side::Unit => Side::Community,
            Side::Community => Side::Unit,
        }
    }
}

/// A step a person takes on a claim (releasing is the sweep's, see `releasable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStep {
    Start,
    Complete,
    Verify,
    Withdraw,
}

impl ClaimStep {
    /// The side allowed to take this step on a claim of an item going `direction`.
    pub fn taken_by(self, direction: ServiceDirection) -> Side {
        match self {
            ClaimStep::Verify => direction.poster(),
            ClaimStep::Start | ClaimStep::Complete | ClaimStep::Withdraw => direction.claimant(),
        }
    }

    pub fn action(self) -> ServiceStepAction {
        match self {
            ClaimStep::Start => ServiceStepAction::Started,
            ClaimStep::Complete => ServiceStepAction::Completed,
            ClaimStep::Verify => ServiceStepAction::Verified,
            ClaimStep::Withdraw => ServiceStepAction::Withdrawn,
        }
    }

    /// The states this step may leave.
    pub fn from_states(self) -> &'static [ServiceClaimState] {
        use ServiceClaimState::*;
        match self {
            ClaimStep::Start => &[Claimed],
            ClaimStep::Complete => &[InProgress],
            ClaimStep::Verify => &[Completed],
            // Once a report is in, the claimant can no longer back out of it.
            ClaimStep::Withdraw => &[Claimed, InProgress],
        }
    }

    pub fn to_state(self) -> ServiceClaimState {
        match self {
            ClaimStep::Start => ServiceClaimState::InProgress,
            ClaimStep::Complete => ServiceClaimState::Completed,
            ClaimStep::Verify => ServiceClaimState::Verified,
            ClaimStep::Withdraw => ServiceClaimState::Withdrawn,
        }
    }

    /// Does this step give the claim's place on the item back?
    pub fn frees_place(self) -> bool {
        self == ClaimStep::Withdraw
    }

    /// The next state from `current`, or `INVALID_TRANSITION` naming the current state.
    pub fn next(self, current: ServiceClaimState) -> AppResult<ServiceClaimState> {
        if self.from_states().contains(&current) {
            return Ok(self.to_state());
        }
        let verb = match self {
            ClaimStep::Start => "开始",
            ClaimStep::Complete => "完成",
            ClaimStep::Verify => "验收",
            ClaimStep::Withdraw => "撤回",
        };
        Err(AppError::invalid_transition(
            current.as_str(),
            format!("认领当前状态为 {}，不能{verb}", current.as_str()),
        ))
    }
}

/// A claim still `CLAIMED` (nothing started) once its item's due day has ended is released: the
/// due date is the day by which a claimant must have started. Claims already under way are left
/// to finish; they showed progress.
pub fn releasable(state: ServiceClaimState, due_on: NaiveDate, today: NaiveDate) -> bool {
    state == ServiceClaimState::Claimed && due_on < today
}

/// Claims are taken up to and including the due day.
pub fn accepts_claims_on(due_on: NaiveDate, today: NaiveDate) -> bool {
    today <= due_on
}

fn shanghai() -> FixedOffset {
    // UTC+8 all year: China has no daylight saving time.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// The Asia/Shanghai calendar day of an instant.
pub fn shanghai_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai()).date_naive()
}

/// The instant an Asia/Shanghai calendar day begins.
pub fn shanghai_day_start(day: NaiveDate) -> DateTime<Utc> {
    shanghai()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// A title: trimmed, 1 to 100 characters, no control characters.
pub fn parse_title(raw: &str) -> AppResult<String> {
    parse_text("title", raw, 100, "标题须为 1 到 100 个字")
}

/// A description: 1 to 2000 characters; line breaks allowed.
pub fn parse_description(raw: &str) -> AppResult<String> {
    parse_text("description", raw, 2000, "说明须为 1 到 2000 个字")
}

/// An optional note on a step: at most 500 characters.
pub fn parse_note(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => parse_text(field, text, 500, "备注最长 500 个字").map(Some),
    }
}

/// Trimmed text of 1 to `max` characters without control characters (line breaks and tabs
/// allowed), else `BAD_USER_INPUT` on `field` with `message`.
pub(crate) fn parse_text(field: &str, raw: &str, max: usize, message: &str) -> AppResult<String> {
    let text = raw.trim();
    let len = text.chars().count();
    let bad_char = text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t');
    if len == 0 || len > max || bad_char {
        return Err(AppError::bad_input(field, message));
    }
    Ok(text.to_owned())
}

pub const MAX_CAPACITY: i32 = 1000;

/// How many claims an item allows: 1 to 1000; a micro-wish is for one donor.
pub fn parse_capacity(raw: Option<i32>, kind: ServiceItemKind) -> AppResult<i32> {
    let capacity = raw.unwrap_or(1);
    if !(1..=MAX_CAPACITY).contains(&capacity) {
        return Err(AppError::bad_input(
            "capacity",
            format!("名额须在 1 到 {MAX_CAPACITY} 之间"),
        ));
    }
    if kind == ServiceItemKind::MicroWish && capacity != 1 {
        return Err(AppError::bad_input(
            "capacity",
            "微心愿只能由一位认领人认领",
        ));
    }
    Ok(capacity)
}

/// A due date from today up to two years ahead.
pub fn parse_due_on(due_on: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    if due_on < today {
        return Err(AppError::bad_input("dueOn", "截止日期不能早于今天"));
    }
    if due_on > today + chrono::Days::new(731) {
        return Err(AppError::bad_input("dueOn", "截止日期不能晚于两年后"));
    }
    Ok(due_on)
}

/// People served, as reported on completion: 0 to 1,000,000.
pub fn parse_people_served(raw: i32) -> AppResult<i32> {
    if !(0..=1_000_000).contains(&raw) {
        return Err(AppError::bad_input(
            "peopleServed",
            "服务人数须在 0 到 1000000 之间",
        ));
    }
    Ok(raw)
}

/// A name with all but its first character hidden: `陈**`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => "*".to_owned(),
        Some(first) => {
            let hidden = chars.count().max(1);
            format!("{first}{}", "*".repeat(hidden))
        }
    }
}

/// What a claimant may know of a micro-wish's beneficiary: an age band and gender, never a name,
/// an identifier or an address. E.g. `七十多岁的女性居民`.
pub fn beneficiary_summary(birth_date: NaiveDate, gender: Gender, today: NaiveDate) -> String {
    let mut age = today.year() - birth_date.year();
    if (today.month(), today.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    let age = age.max(0);
    if age < 18 {
        let child = match gender {
            Gender::Male => "男孩",
            Gender::Female => "女孩",
        };
        let band = if age < 6 {
            "学龄前"
        } else if age < 12 {
            "小学阶段的"
        } else {
            "中学阶段的"
        };
        return format!("一名{band}{child}");
    }
    const DECADES: [&str; 11] = [
        "", "十", "二十", "三十", "四十", "五十", "六十", "七十", "八十", "九十", "百",
    ];
    let decade = DECADES[((age / 10) as usize).min(10)];
    let who = match gender {
        Gender::Male => "男性",
        Gender::Female => "女性",
    };
    format!("{decade}多岁的{who}居民")
}

/// The ids of the regions above a region, from its materialised path (`/id/id/…/`), outermost
/// first and the region itself excluded.
pub fn ancestor_ids(path: &str) -> Vec<Uuid> {
    let ids: Vec<Uuid> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .filter_map(|s| Uuid::parse_str(s).ok())
        .collect();
    match ids.split_last() {
        Some((_, above)) => above.to_vec(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::region::child_path;
    use ServiceClaimState::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn claimant_does_the_work_and_poster_verifies() {
        use ServiceDirection::*;
        assert_eq!(ClaimStep::Start.taken_by(Need), Side::Unit);
        assert_eq!(ClaimStep::Verify.taken_by(Need), Side::Community);
        assert_eq!(ClaimStep::Complete.taken_by(Offer), Side::Community);
        assert_eq!(ClaimStep::Verify.taken_by(Offer), Side::Unit);
        assert_eq!(ClaimStep::Withdraw.taken_by(Offer), Side::Community);
    }

    #[test]
    fn claim_state_machine() {
        assert_eq!(ClaimStep::Start.next(Claimed).unwrap(), InProgress);
        assert_eq!(ClaimStep::Complete.next(InProgress).unwrap(), Completed);
        assert_eq!(ClaimStep::Verify.next(Completed).unwrap(), Verified);
        assert_eq!(ClaimStep::Withdraw.next(Claimed).unwrap(), Withdrawn);
        assert_eq!(ClaimStep::Withdraw.next(InProgress).unwrap(), Withdrawn);
        for (step, state) in [
            (ClaimStep::Complete, Claimed),
            (ClaimStep::Verify, InProgress),
            (ClaimStep::Start, Verified),
            (ClaimStep::Withdraw, Completed),
            (ClaimStep::Withdraw, Released),
            (ClaimStep::Start, Withdrawn),
        ] {
            let err = step.next(state).unwrap_err();
            assert_eq!(err.code(), "INVALID_TRANSITION");
            assert!(err.message().contains(state.as_str()), "{}", err.message());
        }
        assert!(ClaimStep::Withdraw.frees_place());
        assert!(!ClaimStep::Verify.frees_place());
    }

    #[test]
    fn holding_states_are_the_live_ones() {
        assert!(ServiceClaimState::HOLDING.contains(&Verified));
        assert!(!ServiceClaimState::HOLDING.contains(&Withdrawn));
        assert!(!ServiceClaimState::HOLDING.contains(&Released));
    }

    #[test]
    fn release_after_the_due_day_of_unstarted_claims_only() {
        let due = day(2026, 11, 20);
        assert!(!releasable(Claimed, due, due));
        assert!(releasable(Claimed, due, day(2026, 11, 21)));
        assert!(!releasable(InProgress, due, day(2026, 12, 21)));
        assert!(accepts_claims_on(due, due));
        assert!(!accepts_claims_on(due, day(2026, 11, 21)));
    }

    #[test]
    fn shanghai_days() {
        // 2026-11-20 16:00 UTC is already the 21st in Shanghai.
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 16, 0, 0).unwrap();
        assert_eq!(shanghai_day(t), day(2026, 11, 21));
        assert_eq!(shanghai_day_start(day(2026, 11, 21)), t);
        assert_eq!(
            shanghai_day(t - chrono::Duration::seconds(1)),
            day(2026, 11, 20)
        );
    }

    #[test]
    fn input_limits() {
        assert_eq!(parse_title("  送米面油 ").unwrap(), "送米面油");
        assert!(parse_title(" ").is_err());
        assert!(parse_title(&"长".repeat(101)).is_err());
        assert!(parse_description("第一行\n第二行").is_ok());
        assert!(parse_description("a\u{7}b").is_err());
        assert_eq!(parse_note("note", Some("  ")).unwrap(), None);
        assert_eq!(parse_capacity(None, ServiceItemKind::Project).unwrap(), 1);
        assert!(parse_capacity(Some(0), ServiceItemKind::Project).is_err());
        assert!(parse_capacity(Some(2), ServiceItemKind::MicroWish).is_err());
        let today = day(2026, 11, 2);
        assert!(parse_due_on(day(2026, 11, 1), today).is_err());
        assert!(parse_due_on(today, today).is_ok());
        assert!(parse_due_on(day(2030, 1, 1), today).is_err());
        assert!(parse_people_served(-1).is_err());
    }

    #[test]
    fn beneficiaries_are_described_without_identity() {
        let today = day(2026, 11, 2);
        assert_eq!(
            beneficiary_summary(day(1950, 3, 1), Gender::Female, today),
            "七十多岁的女性居民"
        );
        assert_eq!(
            beneficiary_summary(day(2022, 12, 1), Gender::Male, today),
            "一名学龄前男孩"
        );
        assert_eq!(mask_name("陈秀英"), "陈**");
        assert_eq!(mask_name("李"), "李*");
    }

    #[test]
    fn ancestors_from_a_path() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let path = child_path(Some(&child_path(Some(&child_path(None, a)), b)), c);
        assert_eq!(ancestor_ids(&path), vec![a, b]);
        assert!(ancestor_ids("/").is_empty());
    }
}
