//! Figures for admins (DESIGN §8): the window of Asia/Shanghai days a dashboard or an export
//! covers, and the cell rule that keeps a CSV export from running formulas in Excel.
use super::service_item::shanghai_day_start;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Days, NaiveDate, Utc};

/// The longest window a dashboard or an export covers, in days.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// Inclusive Asia/Shanghai days `from..=to`, with the instants that bound them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    /// `from ≤ to`, at most `MAX_WINDOW_DAYS` days; else `BAD_USER_INPUT` naming the field.
    pub fn parse(from: NaiveDate, to: NaiveDate) -> AppResult<Self> {
        if to < from {
            return Err(AppError::bad_input("to", "结束日期早于开始日期"));
        }
        if (to - from).num_days() + 1 > MAX_WINDOW_DAYS {
            return Err(AppError::bad_input("to", "统计区间最长 366 天"));
        }
        Ok(Window { from, to })
    }

    /// The instant the first day begins.
    pub fn start(&self) -> DateTime<Utc> {
        shanghai_day_start(self.from)
    }

    /// The instant after the last day ends (exclusive).
    pub fn end(&self) -> DateTime<Utc> {
        shanghai_day_start(self.to + Days::new(1))
    }

    /// Every day of the window, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect()
    }
}

/// A CSV cell that Excel or LibreOffice would read as a formula (`=`, `+`, `-`, `@`) or that
/// begins with a tab or carriage return gets a leading `'`, so it is shown as text (OWASP's
/// advice on CSV injection).
pub fn neutralise_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_window_is_inclusive_and_bounded() {
        let w = Window::parse(day("2026-11-01"), day("2026-11-03")).unwrap();
        assert_eq!(w.days().len(), 3);
        assert_eq!(w.start().to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert_eq!(w.end().to_rfc3339(), "2026-11-03T16:00:00+00:00");
        assert!(Window::parse(day("2026-11-02"), day("2026-11-01")).is_err());
        assert!(Window::parse(day("2025-01-01"), day("2025-12-31")).is_ok());
        assert!(Window::parse(day("2024-01-01"), day("2024-12-31")).is_ok()); // 366 days
        assert!(Window::parse(day("2024-01-01"), day("2025-01-01")).is_err());
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for lead in ["+", "-", "@", "\t", "\r"] {
            assert!(neutralise_cell(&format!("{lead}1")).starts_with('\''));
        }
        assert_eq!(neutralise_cell("井盖松动"), "井盖松动");
        assert_eq!(neutralise_cell(""), "");
    }
}
