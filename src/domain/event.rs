//! Events: categories, the handling state machine, deadlines with paused clocks, and the rules
//! for reports (coordinates, capture times). Pure; the service layer applies it.
use super::region::string_enum;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, Utc};

string_enum!(
    /// What an event is about.
    EventCategory {
        Sanitation => "SANITATION",
        SafetyHazard => "SAFETY_HAZARD",
        Dispute => "DISPUTE",
        IllegalOccupation => "ILLEGAL_OCCUPATION",
        DamagedFacility => "DAMAGED_FACILITY",
        FireRisk => "FIRE_RISK",
        RentalHousing => "RENTAL_HOUSING",
        FloodTyphoon => "FLOOD_TYPHOON",
        Other => "OTHER",
    }
);

string_enum!(
    /// Where an event came from.
    EventSource {
        Patrol => "PATROL",
        ResidentRequest => "RESIDENT_REQUEST",
        Hotline12345 => "HOTLINE_12345",
        EnterpriseRequest => "ENTERPRISE_REQUEST",
    }
);

string_enum!(
    EventPriority {
        Low => "LOW",
        Normal => "NORMAL",
        High => "HIGH",
        Urgent => "URGENT",
    }
);

string_enum!(
    /// Where an event is in its handling.
    EventState {
        Reported => "REPORTED",
        Accepted => "ACCEPTED",
        Dispatched => "DISPATCHED",
        InProgress => "IN_PROGRESS",
        Resolved => "RESOLVED",
        Closed => "CLOSED",
        Rejected => "REJECTED",
        Suspended => "SUSPENDED",
        Merged => "MERGED",
    }
);

string_enum!(
    /// How a resolved event was resolved.
    Resolution {
        OnSite => "ON_SITE",
        Handled => "HANDLED",
    }
);

string_enum!(
    /// Who made a report: a grid member of some kind, or staff.
    ReporterKind {
        PartTime => "PART_TIME",
        FullTime => "FULL_TIME",
        Professional => "PROFESSIONAL",
        Staff => "STAFF",
    }
);

string_enum!(
    /// What a timeline entry records.
    EventAction {
        Reported => "REPORTED",
        Accepted => "ACCEPTED",
        Rejected => "REJECTED",
        Dispatched => "DISPATCHED",
        Started => "STARTED",
        Resolved => "RESOLVED",
        Closed => "CLOSED",
        Reopened => "REOPENED",
        Suspended => "SUSPENDED",
        Resumed => "RESUMED",
        Escalated => "ESCALATED",
        MergedInto => "MERGED_INTO",
        MergedFrom => "MERGED_FROM",
        DeadlineBreached => "DEADLINE_BREACHED",
    }
);

string_enum!(
    /// The three clocks every event runs ("respond within 1 hour, propose a solution within 24
    /// hours, close within 7 days").
    DeadlineStage {
        Accept => "ACCEPT",
        Plan => "PLAN",
        Close => "CLOSE",
    }
);

string_enum!(
    DeadlineStatus {
        Met => "MET",
        Pending => "PENDING",
        DueSoon => "DUE_SOON",
        Breached => "BREACHED",
    }
);

string_enum!(
    /// Reasons a points-ledger row was written.
    PointsReason {
        ReportAccepted => "REPORT_ACCEPTED",
        OnSiteResolution => "ON_SITE_RESOLUTION",
        Reversal => "REVERSAL",
    }
);

impl EventState {
    /// No more work will happen on the event.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            EventState::Closed | EventState::Rejected | EventState::Merged
        )
    }

    /// Still waiting for someone (counted as open for duplicates and figures).
    pub fn is_open(self) -> bool {
        !self.is_final()
    }

    pub const OPEN: &'static [EventState] = &[
        EventState::Reported,
        EventState::Accepted,
        EventState::Dispatched,
        EventState::InProgress,
        EventState::Resolved,
        EventState::Suspended,
    ];
}

/// A workflow step someone asks for. The state machine says from which states each is legal and
/// where it leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Reject,
    Dispatch,
    Start,
    Resolve(Resolution),
    Close,
    Reopen,
    Suspend,
    Resume,
    Escalate,
    MergeAway,
}

impl Step {
    pub fn action(self) -> EventAction {
        match self {
            Step::Accept => EventAction::Accepted,
            Step::Reject => EventAction::Rejected,
            Step::Dispatch => EventAction::Dispatched,
            Step::Start => EventAction::Started,
            Step::Resolve(_) => EventAction::Resolved,
            Step::Close => EventAction::Closed,
            Step::Reopen => EventAction::Reopened,
            Step::Suspend => EventAction::Suspended,
            Step::Resume => EventAction::Resumed,
            Step::Escalate => EventAction::Escalated,
            Step::MergeAway => EventAction::MergedInto,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Step::Accept => "受理",
            Step::Reject => "退回",
            Step::Dispatch => "派遣",
            Step::Start => "开始处置",
            Step::Resolve(Resolution::OnSite) => "就地办结",
            Step::Resolve(Resolution::Handled) => "提交办结",
            Step::Close => "结案",
            Step::Reopen => "重新打开",
            Step::Suspend => "挂起",
            Step::Resume => "恢复",
            Step::Escalate => "上报上级",
            Step::MergeAway => "合并",
        }
    }
}

/// Where `step` takes an event in `state`, or `INVALID_TRANSITION` naming the state.
/// `resume_to` is the state a suspended event left; `reopen_to` where a reopened one goes.
pub fn next_state(
    state: EventState,
    step: Step,
    resume_to: Option<EventState>,
    reopen_to: EventState,
) -> AppResult<EventState> {
    use EventState::*;
    let next = match (state, step) {
        (Reported, Step::Accept) => Some(Accepted),
        (Reported, Step::Reject) => Some(Rejected),
        (Accepted | Dispatched, Step::Dispatch) => Some(Dispatched),
        (Accepted | Dispatched, Step::Start) => Some(InProgress),
        (Reported | Accepted | InProgress, Step::Resolve(Resolution::OnSite)) => Some(Resolved),
        (InProgress, Step::Resolve(Resolution::Handled)) => Some(Resolved),
        (Resolved, Step::Close) => Some(Closed),
        (Resolved, Step::Reopen) => Some(reopen_to),
        (Reported | Accepted | Dispatched | InProgress, Step::Suspend) => Some(Suspended),
        (Suspended, Step::Resume) => resume_to,
        // Escalation hands the event to the level above; its state stays.
        (Reported | Accepted | Dispatched | InProgress, Step::Escalate) => Some(state),
        (Reported | Accepted, Step::MergeAway) => Some(Merged),
        _ => None,
    };
    next.ok_or_else(|| AppError::InvalidTransition {
        state: state.as_str().to_owned(),
        message: format!("事件当前状态为 {}，不能{}", state_label(state), step.verb()),
    })
}

pub fn state_label(state: EventState) -> &'static str {
    use EventState::*;
    match state {
        Reported => "已上报",
        Accepted => "已受理",
        Dispatched => "已派遣",
        InProgress => "处置中",
        Resolved => "已办结待核查",
        Closed => "已结案",
        Rejected => "已退回",
        Suspended => "已挂起",
        Merged => "已合并",
    }
}

/// Minutes allowed for each stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlinePolicy {
    pub accept_minutes: i64,
    pub plan_minutes: i64,
    pub close_minutes: i64,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            accept_minutes: 60,
            plan_minutes: 24 * 60,
            close_minutes: 7 * 24 * 60,
        }
    }
}

impl DeadlinePolicy {
    pub fn minutes(&self, stage: DeadlineStage) -> i64 {
        match stage {
            DeadlineStage::Accept => self.accept_minutes,
            DeadlineStage::Plan => self.plan_minutes,
            DeadlineStage::Close => self.close_minutes,
        }
    }

    pub fn validate(&self) -> AppResult<()> {
        for (field, minutes) in [
            ("acceptMinutes", self.accept_minutes),
            ("planMinutes", self.plan_minutes),
            ("closeMinutes", self.close_minutes),
        ] {
            if !(1..=366 * 24 * 60).contains(&minutes) {
                return Err(AppError::bad_input(field, "时限须在 1 分钟到 366 天之间"));
            }
        }
        if self.accept_minutes > self.plan_minutes || self.plan_minutes > self.close_minutes {
            return Err(AppError::bad_input(
                "planMinutes",
                "时限须满足 受理 ≤ 方案 ≤ 结案",
            ));
        }
        Ok(())
    }
}

/// The stages a step completes (its clock stops, met).
pub fn stages_met_by(next: EventState) -> &'static [DeadlineStage] {
    use DeadlineStage::*;
    match next {
        EventState::Accepted => &[Accept],
        EventState::Dispatched | EventState::InProgress => &[Accept, Plan],
        EventState::Resolved => &[Accept, Plan],
        EventState::Closed | EventState::Rejected | EventState::Merged => &[Accept, Plan, Close],
        _ => &[],
    }
}

/// One clock of one event as stored: when it falls due (already pushed back by any completed
/// suspension) and when it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub due_at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    pub minutes: i64,
}

/// The status of a clock at `now`. While the event is suspended (`suspended_at`), time stands
/// still at the moment of suspension.
pub fn deadline_status(
    clock: Clock,
    now: DateTime<Utc>,
    suspended_at: Option<DateTime<Utc>>,
) -> DeadlineStatus {
    if let Some(met) = clock.met_at {
        return if met <= clock.due_at {
            DeadlineStatus::Met
        } else {
            DeadlineStatus::Breached
        };
    }
    let now = suspended_at.map_or(now, |s| s.min(now));
    if now > clock.due_at {
        return DeadlineStatus::Breached;
    }
    // The last quarter of the allowed time (at most a day) counts as due soon.
    let warn = Duration::minutes((clock.minutes / 4).clamp(1, 24 * 60));
    if clock.due_at - now <= warn {
        DeadlineStatus::DueSoon
    } else {
        DeadlineStatus::Pending
    }
}

/// Checks a reported coordinate pair (WGS-84 degrees).
pub fn parse_location(lat: f64, lng: f64) -> AppResult<(f64, f64)> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(AppError::bad_input(
            "location.lat",
            "纬度须在 -90 到 90 之间",
        ));
    }
    if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
        return Err(AppError::bad_input(
            "location.lng",
            "经度须在 -180 到 180 之间",
        ));
    }
    if lat == 0.0 && lng == 0.0 {
        // What a phone sends when it has no GPS fix.
        return Err(AppError::bad_input(
            "location",
            "未取得定位，请重新定位后再上报",
        ));
    }
    Ok((lat, lng))
}

/// A capture time may lie in the past (an offline queue) but not in the future; a few minutes of
/// phone clock drift are forgiven. Reports older than 30 days are refused as stale.
pub fn check_captured_at(captured_at: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<()> {
    if captured_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input(
            "capturedAt",
            "采集时间不能晚于当前时间",
        ));
    }
    if captured_at < now - Duration::days(30) {
        return Err(AppError::bad_input(
            "capturedAt",
            "采集时间超过 30 天，请重新采集",
        ));
    }
    Ok(())
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lng1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lng2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lng2 - lng1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// A lat/lng box that holds every point within `metres` of `(lat, lng)`.
pub fn bounding_box(lat: f64, lng: f64, metres: f64) -> (f64, f64, f64, f64) {
    let dlat = (metres / EARTH_RADIUS_M).to_degrees();
    let dlng = dlat / lat.to_radians().cos().abs().max(0.01);
    (lat - dlat, lat + dlat, lng - dlng, lng + dlng)
}

/// Is the point inside a GeoJSON Polygon/MultiPolygon (even-odd rule; holes excluded)?
pub fn point_in_geojson(geojson: &str, lat: f64, lng: f64) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(geojson) else {
        return false;
    };
    let coords = &value["coordinates"];
    let polygons: Vec<&serde_json::Value> = match value["type"].as_str() {
        Some("Polygon") => vec![coords],
        Some("MultiPolygon") => coords
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => return false,
    };
    polygons.into_iter().any(|polygon| {
        let Some(rings) = polygon.as_array() else {
            return false;
        };
        let inside: Vec<bool> = rings
            .iter()
            .map(|ring| ring_contains(ring, lat, lng))
            .collect();
        // In the outer ring and in none of the holes.
        inside.first().copied().unwrap_or(false) && !inside[1..].iter().any(|&h| h)
    })
}

fn ring_contains(ring: &serde_json::Value, lat: f64, lng: f64) -> bool {
    let Some(points) = ring.as_array() else {
        return false;
    };
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .collect();
    let mut inside = false;
    let mut j = pts.len().wrapping_sub(1);
    for i in 0..pts.len() {
        let (xi, yi) = pts[i];
        let (xj, yj) = pts[j];
        if (yi > lat) != (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn the_state_machine_refuses_illegal_steps_naming_the_state() {
        use EventState::*;
        assert_eq!(
            next_state(Reported, Step::Accept, None, InProgress).unwrap(),
            Accepted
        );
        assert_eq!(
            next_state(Resolved, Step::Reopen, None, Dispatched).unwrap(),
            Dispatched
        );
        assert_eq!(
            next_state(Suspended, Step::Resume, Some(InProgress), InProgress).unwrap(),
            InProgress
        );
        match next_state(Closed, Step::Accept, None, InProgress) {
            Err(AppError::InvalidTransition { state, .. }) => assert_eq!(state, "CLOSED"),
            _ => panic!("closed events cannot be accepted"),
        }
        assert!(
            next_state(
                Reported,
                Step::Resolve(Resolution::Handled),
                None,
                InProgress
            )
            .is_err()
        );
        assert!(
            next_state(
                Reported,
                Step::Resolve(Resolution::OnSite),
                None,
                InProgress
            )
            .is_ok()
        );
        assert!(next_state(Suspended, Step::Suspend, None, InProgress).is_err());
        assert!(next_state(Dispatched, Step::MergeAway, None, InProgress).is_err());
    }

    #[test]
    fn deadline_status_follows_the_clock_and_stops_while_suspended() {
        let clock = Clock {
            due_at: t(1),
            met_at: None,
            minutes: 60,
        };
        assert_eq!(deadline_status(clock, t(0), None), DeadlineStatus::Pending);
        let near = t(1) - Duration::minutes(10);
        assert_eq!(deadline_status(clock, near, None), DeadlineStatus::DueSoon);
        assert_eq!(deadline_status(clock, t(2), None), DeadlineStatus::Breached);
        // Suspended at t(0): however late it is now, the clock reads t(0).
        assert_eq!(
            deadline_status(clock, t(50), Some(t(0))),
            DeadlineStatus::Pending
        );
        let met = Clock {
            met_at: Some(t(0)),
            ..clock
        };
        assert_eq!(deadline_status(met, t(9), None), DeadlineStatus::Met);
        let late = Clock {
            met_at: Some(t(3)),
            ..clock
        };
        assert_eq!(deadline_status(late, t(9), None), DeadlineStatus::Breached);
    }

    #[test]
    fn distances_and_boxes() {
        let a = (22.7600, 112.9600);
        let b = (22.7604, 112.9600);
        let d = distance_m(a, b);
        assert!((d - 44.5).abs() < 1.0, "{d}");
        let (lat0, lat1, lng0, lng1) = bounding_box(a.0, a.1, 50.0);
        assert!(lat0 < b.0 && b.0 < lat1 && lng0 < a.1 && a.1 < lng1);
    }

    #[test]
    fn point_in_polygon_with_hole() {
        let square = r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}"#;
        assert!(point_in_geojson(square, 1.0, 1.0));
        assert!(!point_in_geojson(square, 5.0, 5.0));
        assert!(!point_in_geojson(square, 11.0, 5.0));
    }

    #[test]
    fn locations_and_capture_times() {
        assert!(parse_location(22.7, 112.9).is_ok());
        assert!(parse_location(0.0, 0.0).is_err());
        assert!(parse_location(91.0, 0.5).is_err());
        assert!(parse_location(f64::NAN, 1.0).is_err());
        assert!(check_captured_at(t(0), t(1)).is_ok());
        assert!(check_captured_at(t(2), t(1)).is_err());
        assert!(check_captured_at(t(-24 * 31), t(1)).is_err());
    }

    #[test]
    fn policy_validation() {
        assert!(DeadlinePolicy::default().validate().is_ok());
        let bad = DeadlinePolicy {
            accept_minutes: 600,
            plan_minutes: 60,
            close_minutes: 6000,
        };
        assert!(bad.validate().is_err());
    }
}
