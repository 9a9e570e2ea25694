//! Committee activities, the pure rules: the two kinds (联席会议 and 共建活动), and the limits
//! on what a record holds — the day it was held, its title, notes, people reached, and how many
//! units and service items it names.
use super::region::string_enum;
use super::service_item::parse_text;
use crate::error::{AppError, AppResult};
use chrono::{Days, NaiveDate};
use uuid::Uuid;

string_enum!(
    /// A joint meeting of the committee (联席会议) or a co-building activity of its member
    /// units (共建活动).
    CommitteeActivityKind {
        Meeting => "MEETING",
        Activity => "ACTIVITY",
    }
);

/// How far back an activity may be recorded, in days (two years).
pub const MAX_DAYS_BACK: u64 = 731;
/// Member units named on one record.
pub const MAX_UNITS: usize = 50;
/// Service items linked to one record.
pub const MAX_SERVICE_ITEMS: usize = 20;
/// People reached by one activity.
pub const MAX_PEOPLE_REACHED: i32 = 1_000_000;

/// The Asia/Shanghai day it was held: not after `today`, at most two years back.
pub fn parse_held_on(held_on: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    if held_on > today {
        return Err(AppError::bad_input("heldOn", "活动日期不能晚于今天"));
    }
    if today
        .checked_sub_days(Days::new(MAX_DAYS_BACK))
        .is_some_and(|earliest| held_on < earliest)
    {
        return Err(AppError::bad_input("heldOn", "只能补录两年内的活动"));
    }
    Ok(held_on)
}

/// A title: 1 to 100 characters.
pub fn parse_activity_title(raw: &str) -> AppResult<String> {
    parse_text("title", raw, 100, "标题须为 1 到 100 个字")
}

/// Optional notes: at most 2000 characters; blank is none.
pub fn parse_notes(raw: Option<&str>) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => parse_text("notes", text, 2000, "记录最长 2000 个字").map(Some),
    }
}

/// People reached: 0 to 1,000,000.
pub fn parse_people_reached(raw: i32) -> AppResult<i32> {
    if !(0..=MAX_PEOPLE_REACHED).contains(&raw) {
        return Err(AppError::bad_input(
            "peopleReached",
            format!("惠及人数须在 0 到 {MAX_PEOPLE_REACHED} 之间"),
        ));
    }
    Ok(raw)
}

/// The units taking part: 1 to 50, each once (sorted).
pub fn parse_unit_ids(raw: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let ids = distinct(raw);
    if ids.is_empty() {
        return Err(AppError::bad_input(
            "unitIds",
            "请至少选择一个参与的成员单位",
        ));
    }
    if ids.len() > MAX_UNITS {
        return Err(AppError::bad_input(
            "unitIds",
            format!("参与单位最多 {MAX_UNITS} 个"),
        ));
    }
    Ok(ids)
}

/// The service items served: up to 20, each once (sorted).
pub fn parse_service_item_ids(raw: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let ids = distinct(raw);
    if ids.len() > MAX_SERVICE_ITEMS {
        return Err(AppError::bad_input(
            "serviceItemIds",
            format!("关联服务项目最多 {MAX_SERVICE_ITEMS} 个"),
        ));
    }
    Ok(ids)
}

fn distinct(raw: &[Uuid]) -> Vec<Uuid> {
    let mut ids = raw.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn field(err: AppError) -> String {
        match err {
            AppError::BadUserInput { field, .. } => field,
            other => panic!("not BAD_USER_INPUT: {other:?}"),
        }
    }

    #[test]
    fn the_day_is_today_or_within_two_years_back() {
        let today = day("2026-11-22");
        assert!(parse_held_on(today, today).is_ok());
        assert!(parse_held_on(day("2024-11-21"), today).is_ok());
        assert_eq!(
            field(parse_held_on(day("2026-11-23"), today).unwrap_err()),
            "heldOn"
        );
        assert_eq!(
            field(parse_held_on(day("2024-11-20"), today).unwrap_err()),
            "heldOn"
        );
    }

    #[test]
    fn text_and_counts_are_bounded() {
        assert_eq!(parse_activity_title("  联席会议 ").unwrap(), "联席会议");
        assert_eq!(field(parse_activity_title(" ").unwrap_err()), "title");
        assert_eq!(
            field(parse_activity_title(&"会".repeat(101)).unwrap_err()),
            "title"
        );
        assert_eq!(parse_notes(Some("  ")).unwrap(), None);
        assert_eq!(
            field(parse_notes(Some(&"记".repeat(2001))).unwrap_err()),
            "notes"
        );
        assert_eq!(parse_people_reached(0).unwrap(), 0);
        assert_eq!(
            field(parse_people_reached(-1).unwrap_err()),
            "peopleReached"
        );
        assert_eq!(
            field(parse_people_reached(1_000_001).unwrap_err()),
            "peopleReached"
        );
    }

    #[test]
    fn units_are_required_and_deduplicated() {
        let a = Uuid::from_u128(1);
        assert_eq!(parse_unit_ids(&[a, a]).unwrap(), vec![a]);
        assert_eq!(field(parse_unit_ids(&[]).unwrap_err()), "unitIds");
        let many: Vec<Uuid> = (0..51).map(Uuid::from_u128).collect();
        assert_eq!(field(parse_unit_ids(&many).unwrap_err()), "unitIds");
        assert!(parse_service_item_ids(&[]).unwrap().is_empty());
        let many: Vec<Uuid> = (0..21).map(Uuid::from_u128).collect();
        assert_eq!(
            field(parse_service_item_ids(&many).unwrap_err()),
            "serviceItemIds"
        );
    }
}
