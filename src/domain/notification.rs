//! Who is told what: the notification inbox's rules. A notification goes to the people who must
//! act on a change (or whose report it concerns), never to the one who made the change.
use super::event::EventAction;
use super::region::string_enum;
use uuid::Uuid;

string_enum!(
    /// Why a notification was sent.
    NotificationKind {
        EventDispatched => "EVENT_DISPATCHED",
        EventReopened => "EVENT_REOPENED",
        ReportAccepted => "REPORT_ACCEPTED",
        ReportRejected => "REPORT_REJECTED",
        ReportResolved => "REPORT_RESOLVED",
        ReportClosed => "REPORT_CLOSED",
        DeadlineBreached => "DEADLINE_BREACHED",
        ClaimReleased => "CLAIM_RELEASED",
    }
);

/// Who a notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The liaisons of a member unit.
    UnitLiaisons(Uuid),
    /// One account: the reporter of an event.
    Account(Uuid),
    /// The community workers over a place (its community's workers), found by the place's
    /// region path.
    CommunityWorkers,
}

/// What a timeline entry of an event tells, and to whom; `None` when it tells nobody.
/// `assigned_unit`: the unit the event is with after the entry; `reporter`: its reporter.
pub fn for_event_entry(
    action: EventAction,
    assigned_unit: Option<Uuid>,
    reporter: Uuid,
) -> Option<(NotificationKind, Audience)> {
    use NotificationKind as K;
    match action {
        EventAction::Dispatched => {
            assigned_unit.map(|unit| (K::EventDispatched, Audience::UnitLiaisons(unit)))
        }
        EventAction::Reopened => {
            assigned_unit.map(|unit| (K::EventReopened, Audience::UnitLiaisons(unit)))
        }
        EventAction::Accepted => Some((K::ReportAccepted, Audience::Account(reporter))),
        EventAction::Rejected => Some((K::ReportRejected, Audience::Account(reporter))),
        EventAction::Resolved => Some((K::ReportResolved, Audience::Account(reporter))),
        EventAction::Closed => Some((K::ReportClosed, Audience::Account(reporter))),
        EventAction::DeadlineBreached => Some((K::DeadlineBreached, Audience::CommunityWorkers)),
        EventAction::Reported
        | EventAction::Started
        | EventAction::Suspended
        | EventAction::Resumed
        | EventAction::Escalated
        | EventAction::MergedInto
        | EventAction::MergedFrom => None,
    }
}

/// The line a person reads in the inbox, about an event titled `title`.
pub fn event_message(kind: NotificationKind, title: &str) -> String {
    let title: String = title.chars().take(100).collect();
    match kind {
        NotificationKind::EventDispatched => format!("有事件派遣给贵单位：{title}"),
        NotificationKind::EventReopened => format!("派遣给贵单位的事件被重新打开：{title}"),
        NotificationKind::ReportAccepted => format!("您上报的事件已受理：{title}"),
        NotificationKind::ReportRejected => format!("您上报的事件被退回：{title}"),
        NotificationKind::ReportResolved => format!("您上报的事件已办结：{title}"),
        NotificationKind::ReportClosed => format!("您上报的事件已核查结案：{title}"),
        NotificationKind::DeadlineBreached => format!("事件处置超时：{title}"),
        NotificationKind::ClaimReleased => format!("服务项目认领已超期释放：{title}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_tells_the_people_who_must_act() {
        let unit = Uuid::from_u128(7);
        let reporter = Uuid::from_u128(9);
        assert_eq!(
            for_event_entry(EventAction::Dispatched, Some(unit), reporter),
            Some((
                NotificationKind::EventDispatched,
                Audience::UnitLiaisons(unit)
            ))
        );
        assert_eq!(
            for_event_entry(EventAction::Reopened, Some(unit), reporter),
            Some((
                NotificationKind::EventReopened,
                Audience::UnitLiaisons(unit)
            ))
        );
        // Reopened with no unit on it: nobody outside the staff has to act.
        assert_eq!(for_event_entry(EventAction::Reopened, None, reporter), None);
        for (action, kind) in [
            (EventAction::Accepted, NotificationKind::ReportAccepted),
            (EventAction::Rejected, NotificationKind::ReportRejected),
            (EventAction::Resolved, NotificationKind::ReportResolved),
            (EventAction::Closed, NotificationKind::ReportClosed),
        ] {
            assert_eq!(
                for_event_entry(action, Some(unit), reporter),
                Some((kind, Audience::Account(reporter)))
            );
        }
        assert_eq!(
            for_event_entry(EventAction::DeadlineBreached, None, reporter),
            Some((
                NotificationKind::DeadlineBreached,
                Audience::CommunityWorkers
            ))
        );
        for quiet in [
            EventAction::Reported,
            EventAction::Started,
            EventAction::Escalated,
            EventAction::MergedFrom,
        ] {
            assert_eq!(for_event_entry(quiet, Some(unit), reporter), None);
        }
    }

    #[test]
    fn messages_are_bounded() {
        let long = "长".repeat(500);
        let m = event_message(NotificationKind::ReportAccepted, &long);
        assert!(m.chars().count() <= 300);
    }
}
