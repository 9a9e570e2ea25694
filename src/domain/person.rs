//! People's identifiers as the API accepts and shows them: mainland mobile numbers, names,
//! passwords, and the masked forms personal data is served in.
use crate::error::{AppError, AppResult};

/// A mainland China mobile number: 11 digits starting 1[3-9]. `+86`/`86` prefixes, spaces and
/// dashes are accepted and dropped.
pub fn parse_phone(field: &str, raw: &str) -> AppResult<String> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| {
            if digits.len() == 13 {
                digits.strip_prefix("86")
            } else {
                None
            }
        })
        .unwrap_or(&digits);
    let bytes = digits.as_bytes();
    let valid = bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1]);
    if !valid {
        return Err(AppError::bad_input(
            field,
            "手机号格式不正确（11 位大陆手机号）",
        ));
    }
    Ok(digits.to_owned())
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***".to_owned()
    }
}

/// A person's display name: trimmed, 1 to 64 characters, no control characters.
pub fn parse_person_name(field: &str, raw: &str) -> AppResult<String> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 || len > 64 || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(field, "姓名长度须为 1 到 64 个字符"));
    }
    Ok(name.to_owned())
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 128;

/// A new password: at least 10 characters with letters and digits, at most 128 bytes.
pub fn check_new_password(field: &str, password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::bad_input(
            field,
            format!("密码长度须为 {MIN_PASSWORD_CHARS} 到 {MAX_PASSWORD_BYTES} 个字符"),
        ));
    }
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if !has_letter || !has_digit {
        return Err(AppError::bad_input(field, "密码须同时包含字母和数字"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            parse_phone("phone", "138 1234 5678").unwrap(),
            "13812345678"
        );
        assert_eq!(
            parse_phone("phone", "+8613812345678").unwrap(),
            "13812345678"
        );
        assert_eq!(
            parse_phone("phone", "8613812345678").unwrap(),
            "13812345678"
        );
        assert!(parse_phone("phone", "12812345678").is_err());
        assert!(parse_phone("phone", "1381234567").is_err());
        assert!(parse_phone("phone", "1381234567x").is_err());
        assert!(parse_phone("phone", "").is_err());
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn passwords() {
        assert!(check_new_password("password", "short1").is_err());
        assert!(check_new_password("password", "onlyletters").is_err());
        assert!(check_new_password("password", "1234567890").is_err());
        assert!(check_new_password("password", "grid-member-2026").is_ok());
        assert!(check_new_password("password", &"a1".repeat(65)).is_err());
    }
}
