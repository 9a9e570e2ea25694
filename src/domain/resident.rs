//! Residents: national ID numbers (GB 11643), genders, residence types, tags, masking.
use super::region::string_enum;
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;

string_enum!(
    Gender {
        Male => "MALE",
        Female => "FEMALE",
    }
);

string_enum!(
    /// How a resident lives here (户籍 / 常住 / 流动 / 租户).
    ResidenceType {
        Registered => "REGISTERED",
        Permanent => "PERMANENT",
        Floating => "FLOATING",
        Tenant => "TENANT",
    }
);

string_enum!(
    /// Groups a resident belongs to. The vulnerability tags are shown only to full-time grid
    /// members and above.
    ResidentTag {
        ElderlyAlone => "ELDERLY_ALONE",
        Disabled => "DISABLED",
        LowIncome => "LOW_INCOME",
        Veteran => "VETERAN",
        LeftBehindChild => "LEFT_BEHIND_CHILD",
        SeriousIllness => "SERIOUS_ILLNESS",
        PartyMember => "PARTY_MEMBER",
        BuildingHead => "BUILDING_HEAD",
        Volunteer => "VOLUNTEER",
    }
);

/// A validated mainland resident ID number (18 characters, GB 11643 check digit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    pub value: String,
    pub birth_date: NaiveDate,
    pub gender: Gender,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The check character for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize] as char)
}

impl IdNumber {
    pub fn parse(field: &str, raw: &str, today: NaiveDate) -> AppResult<Self> {
        let value: String = raw.trim().to_ascii_uppercase();
        let bad = |m: &str| AppError::bad_input(field, m.to_owned());
        if value.len() != 18 {
            return Err(bad("身份证号须为 18 位"));
        }
        let (first17, last) = value.split_at(17);
        let expected = check_char(first17).ok_or_else(|| bad("身份证号前 17 位须为数字"))?;
        if !last.starts_with(expected) {
            return Err(bad("身份证号校验位不正确"));
        }
        let birth_date = NaiveDate::parse_from_str(&value[6..14], "%Y%m%d")
            .map_err(|_| bad("身份证号中的出生日期无效"))?;
        if birth_date > today
            || birth_date < NaiveDate::from_ymd_opt(1890, 1, 1).unwrap_or(birth_date)
        {
            return Err(bad("身份证号中的出生日期无效"));
        }
        let gender = if (value.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        };
        Ok(IdNumber {
            value,
            birth_date,
            gender,
        })
    }
}

/// `440784199001011234` → `440784********1234`.
pub fn mask_id_number(id: &str) -> String {
    if id.len() == 18 && id.is_ascii() {
        format!("{}********{}", &id[..6], &id[14..])
    } else {
        "******".to_owned()
    }
}

/// Tags are stored as `,A,B,` so one tag is matched exactly with `LIKE '%,A,%'`.
pub fn encode_tags(tags: &[ResidentTag]) -> String {
    let mut codes: Vec<&str> = tags.iter().map(|t| t.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    format!(",{},", codes.join(","))
}

pub fn decode_tags(stored: &str) -> Vec<ResidentTag> {
    stored.split(',').filter_map(ResidentTag::parse).collect()
}

pub fn tag_pattern(tag: ResidentTag) -> String {
    format!("%,{},%", tag.as_str())
}

/// A short free-text field (building, unit, room, household): trimmed, bounded, printable.
pub fn parse_short_text(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            format!("最长 {max} 个字符，且不能含控制字符"),
        ));
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn check_digits() {
        // The standard's worked example.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        let id = IdNumber::parse("idNumber", "11010519491231002x", today()).unwrap();
        assert_eq!(id.value, "11010519491231002X");
        assert_eq!(id.gender, Gender::Female);
        assert_eq!(
            id.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert!(IdNumber::parse("idNumber", "110105194912310021", today()).is_err());
        assert!(IdNumber::parse("idNumber", "1101051949123100", today()).is_err());
        let future = format!(
            "44078420991231001{}",
            check_char("44078420991231001").unwrap()
        );
        assert!(IdNumber::parse("idNumber", &future, today()).is_err());
        let bad_date = format!(
            "44078419901332001{}",
            check_char("44078419901332001").unwrap()
        );
        assert!(IdNumber::parse("idNumber", &bad_date, today()).is_err());
    }

    #[test]
    fn masking_and_tags() {
        assert_eq!(mask_id_number("11010519491231002X"), "110105********002X");
        let stored = encode_tags(&[
            ResidentTag::Veteran,
            ResidentTag::ElderlyAlone,
            ResidentTag::Veteran,
        ]);
        assert_eq!(stored, ",ELDERLY_ALONE,VETERAN,");
        assert_eq!(
            decode_tags(&stored),
            vec![ResidentTag::ElderlyAlone, ResidentTag::Veteran]
        );
        assert_eq!(decode_tags(","), vec![]);
    }
}
