//! Every error leaves with `extensions.code` (DESIGN §11) and the request id. Errors raised by
//! our resolvers carry their code already; parse, validation and limit errors raised by the
//! GraphQL engine are classified here. An error nobody coded is internal: its text is logged and
//! replaced, never sent.
use super::input_paths::InputTypes;
use crate::telemetry::Metrics;
use async_graphql::{Response, ServerError, Value, Variables};
use std::sync::OnceLock;

/// The schema's input types, read once from its SDL the first time an input error needs them.
fn input_types() -> &'static InputTypes {
    static TYPES: OnceLock<InputTypes> = OnceLock::new();
    TYPES.get_or_init(|| InputTypes::from_sdl(&super::sdl()))
}

/// A scalar that failed to parse inside an argument is named by its path (`input.capturedAt`,
/// `first`), not by the whole argument.
fn name_the_input_field(error: &mut ServerError, query: &str, variables: &Variables) {
    if code_of(error) != Some("BAD_USER_INPUT") || !error.message.starts_with("Failed to parse") {
        return;
    }
    if let Some(path) = input_types().locate(
        &error.message,
        error.locations.first().copied(),
        query,
        variables,
    ) {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("field", path);
    }
}

/// Codes every error of a response, stamps the request id on it and counts it. `query` and
/// `variables` are the request's, used to name the argument or input field an engine error
/// points at.
pub fn finish(
    response: &mut Response,
    query: &str,
    variables: &Variables,
    request_id: &str,
    metrics: &Metrics,
) {
    for error in &mut response.errors {
        classify(error);
        name_the_input_field(error, query, variables);
        name_the_argument(error, query);
        let code = code_of(error).unwrap_or("INTERNAL").to_owned();
        metrics.graphql_errors.with_label_values(&[&code]).inc();
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("requestId", request_id);
    }
}

/// A response that asks its client to come back later: the code that says so and how long.
pub struct RetryHint {
    pub code: &'static str,
    pub after_secs: u64,
}

/// `UNAVAILABLE` outranks `RATE_LIMITED`: a database outage is everyone's, a budget one caller's.
pub fn retry_hint(response: &Response) -> Option<RetryHint> {
    let mut hint: Option<RetryHint> = None;
    for error in &response.errors {
        let code: &'static str = match code_of(error) {
            Some("UNAVAILABLE") => "UNAVAILABLE",
            Some("RATE_LIMITED") => "RATE_LIMITED",
            _ => continue,
        };
        let after_secs = match error
            .extensions
            .as_ref()
            .and_then(|e| e.get("retryAfterSeconds"))
        {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(1),
            _ => 1,
        };
        if hint.as_ref().is_none_or(|h| h.code != "UNAVAILABLE") {
            hint = Some(RetryHint { code, after_secs });
        }
    }
    hint
}

fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

/// The argument an engine message names, e.g. `Invalid value for argument "id", …`.
fn named_argument(message: &str) -> Option<String> {
    let start = message.find("argument \"")? + "argument \"".len();
    let rest = &message[start..];
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

pub fn classify(error: &mut ServerError) {
    if code_of(error).is_some() {
        return;
    }
    let message = error.message.as_str();
    let lower = message.to_ascii_lowercase();
    let code = if lower.contains("nested too deep")
        || lower.contains("too complex")
        || lower.contains("recursion")
        || lower.contains("too many directives")
    {
        "QUERY_TOO_COMPLEX"
    } else if error.path.is_empty()
        || lower.starts_with("failed to parse")
        || lower.starts_with("invalid value")
        || lower.contains("expected type")
        || lower.starts_with("expected input type")
    {
        // Raised before or while reading the request: the request itself is at fault.
        "BAD_USER_INPUT"
    } else {
        tracing::error!(message = %error.message, path = ?error.path, "uncoded error from a resolver");
        error.message = "内部错误".into();
        "INTERNAL"
    };
    let field = named_argument(&error.message);
    let ext = error.extensions.get_or_insert_with(Default::default);
    ext.set("code", code);
    if let Some(field) = field {
        ext.set("field", field);
    }
}

/// For an input error without a field, the argument whose value it points at: the location is
/// the value; the name is the identifier before the colon in front of it.
fn name_the_argument(error: &mut ServerError, query: &str) {
    let Some(ext) = error.extensions.as_mut() else {
        return;
    };
    if ext.get("field").is_some()
        || ext.get("code") != Some(&Value::String("BAD_USER_INPUT".into()))
    {
        return;
    }
    let Some(pos) = error.locations.first() else {
        return;
    };
    let Some(line) = query.lines().nth(pos.line.saturating_sub(1)) else {
        return;
    };
    let before: String = line.chars().take(pos.column.saturating_sub(1)).collect();
    let Some(head) = before.trim_end().strip_suffix(':') else {
        return;
    };
    let name: String = head
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if !name.is_empty() {
        ext.set("field", name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_error_asks_for_a_retry() {
        let mut response = Response::new(Value::Null);
        assert!(retry_hint(&response).is_none());
        response.errors.push(
            async_graphql::Error::from(crate::error::AppError::forbidden("no"))
                .into_server_error(Default::default()),
        );
        assert!(retry_hint(&response).is_none());
        for secs in [1, 5] {
            response.errors.push(
                async_graphql::Error::from(crate::error::AppError::unavailable(secs))
                    .into_server_error(Default::default()),
            );
        }
        let hint = retry_hint(&response).expect("a hint");
        assert_eq!((hint.code, hint.after_secs), ("UNAVAILABLE", 1));
    }

    #[test]
    fn engine_errors_get_codes() {
        let mut e = ServerError::new("Query is nested too deep.", None);
        classify(&mut e);
        assert_eq!(code_of(&e), Some("QUERY_TOO_COMPLEX"));
        let mut e = ServerError::new(
            "Invalid value for argument \"id\", expected type \"UUID\"",
            None,
        );
        classify(&mut e);
        assert_eq!(code_of(&e), Some("BAD_USER_INPUT"));
        assert_eq!(
            e.extensions.as_ref().unwrap().get("field"),
            Some(&Value::String("id".into()))
        );
    }

    #[test]
    fn the_argument_at_the_error_location_is_named() {
        let query = "{ region(id: \"nope\") { id } }";
        let mut e = ServerError::new(
            "Failed to parse \"UUID\"",
            Some(async_graphql::Pos {
                line: 1,
                column: 14,
            }),
        );
        e.path = vec![async_graphql::PathSegment::Field("region".into())];
        classify(&mut e);
        name_the_argument(&mut e, query);
        assert_eq!(
            e.extensions.as_ref().unwrap().get("field"),
            Some(&Value::String("id".into()))
        );
    }
}
