//! Text search by LIKE: the user's text is matched literally, its `%`, `_` and `\` escaped
//! (the escape character is `\`, which the store names in every LIKE it writes).

/// The text with LIKE's wildcards and the escape character taken literally.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `%text%`: the text anywhere.
pub fn contains_pattern(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

/// `text%`: the text at the start.
pub fn prefix_pattern(text: &str) -> String {
    format!("{}%", escape_like(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_the_escape_are_literal() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(prefix_pattern("张_"), "张\\_%");
        assert_eq!(contains_pattern("凤凰"), "%凤凰%");
    }
}
