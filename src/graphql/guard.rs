//! Bounds on a request's document before and right after it is parsed: nesting (checked on the
//! text, so the recursive parser never sees a document that could overflow its stack), root
//! fields, aliases, session mutations, list sizes and arguments on `__typename`. Each refusal is
//! a coded error; what passes goes on to validation, depth and complexity limits.
use crate::config::Limits;
use async_graphql::ValidationResult;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Pos, Positioned, ServerError, ServerResult, Variables};
use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

/// Mutations that each cost a password hash or a token rotation: one per request.
const SESSION_FIELDS: [&str; 2] = ["login", "refreshSession"];

/// The deepest nesting of `{`, `[` and `(` in a document, skipping strings, block strings and
/// comments. Stops counting as soon as `max` is passed, so the scan is linear and cheap.
pub fn nesting_exceeds(text: &str, max: usize) -> bool {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped triple quote inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// The coded error this module answers with.
fn refuse(code: &str, message: impl Into<String>, pos: Option<Pos>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    error.extensions = Some(ext);
    error
}

fn too_complex(message: impl Into<String>, pos: Option<Pos>) -> ServerError {
    refuse("QUERY_TOO_COMPLEX", message, pos)
}

/// What the checks after parsing count in one document.
#[derive(Default)]
struct Tally {
    aliases: usize,
    /// Root fields per operation, fragments expanded.
    root_fields: usize,
    session_fields: usize,
}

struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    limits: &'a Limits,
}

impl Walk<'_> {
    /// Root fields of an operation, following fragment spreads (each fragment once).
    fn count_root(
        &self,
        set: &SelectionSet,
        ty: OperationType,
        seen: &mut HashSet<Name>,
        tally: &mut Tally,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if field.node.name.node.as_str() == "__typename" {
                        continue;
                    }
                    tally.root_fields += 1;
                    if ty == OperationType::Mutation
                        && SESSION_FIELDS.contains(&field.node.name.node.as_str())
                    {
                        tally.session_fields += 1;
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.count_root(&inline.node.selection_set.node, ty, seen, tally)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if seen.insert(name.clone())
                        && let Some(fragment) = self.fragments.get(name)
                    {
                        self.count_root(&fragment.node.selection_set.node, ty, seen, tally)
                    }
                }
            }
        }
    }

    /// The depth of data fields below a selection set (root fields are depth 1). Introspection
    /// subtrees (`__schema`, `__type`) do not count: their nesting follows the type system and
    /// tools send it deep, while the bracket limit and complexity still bound them.
    fn depth(&self, set: &SelectionSet, seen: &mut Vec<Name>) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name == "__schema" || name == "__type" {
                        1
                    } else {
                        1 + self.depth(&field.node.selection_set.node, seen)
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.depth(&inline.node.selection_set.node, seen)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    // A fragment that spreads itself is a validation error; stop here.
                    if seen.contains(name) {
                        return 0;
                    }
                    let Some(fragment) = self.fragments.get(name) else {
                        return 0;
                    };
                    seen.push(name.clone());
                    let d = self.depth(&fragment.node.selection_set.node, seen);
                    seen.pop();
                    d
                }
            })
            .max()
            .unwrap_or(0)
    }

    /// Does the operation ask for the schema (`__schema` or `__type` at its root)?
    fn introspects(&self, set: &SelectionSet, seen: &mut HashSet<Name>) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type")
            }
            Selection::InlineFragment(inline) => {
                self.introspects(&inline.node.selection_set.node, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                seen.insert(name.clone())
                    && self
                        .fragments
                        .get(name)
                        .is_some_and(|f| self.introspects(&f.node.selection_set.node, seen))
            }
        })
    }

    /// Aliases, `__typename` arguments and literal list sizes in one selection set and below.
    fn check_set(&self, set: &SelectionSet, tally: &mut Tally) -> ServerResult<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.alias.is_some() {
                        tally.aliases += 1;
                    }
                    if field.name.node.as_str() == "__typename"
                        && let Some((name, _)) = field.arguments.first()
                    {
                        let mut error = refuse(
                            "BAD_USER_INPUT",
                            format!("Unknown argument \"{}\" on field \"__typename\"", name.node),
                            Some(name.pos),
                        );
                        if let Some(ext) = error.extensions.as_mut() {
                            ext.set("field", name.node.as_str());
                        }
                        return Err(error);
                    }
                    for (name, value) in &field.arguments {
                        self.check_value(name, &value.node, value.pos)?;
                    }
                    self.check_set(&field.selection_set.node, tally)?;
                }
                Selection::InlineFragment(inline) => {
                    self.check_set(&inline.node.selection_set.node, tally)?
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn check_value(
        &self,
        argument: &Positioned<Name>,
        value: &async_graphql_value::Value,
        pos: Pos,
    ) -> ServerResult<()> {
        match value {
            async_graphql_value::Value::List(items) => {
                if items.len() > self.limits.max_list_items {
                    return Err(list_too_long(
                        argument.node.as_str(),
                        self.limits.max_list_items,
                        Some(pos),
                    ));
                }
                items
                    .iter()
                    .try_for_each(|item| self.check_value(argument, item, pos))
            }
            async_graphql_value::Value::Object(fields) => fields
                .values()
                .try_for_each(|item| self.check_value(argument, item, pos)),
            async_graphql_value::Value::String(text) if text.contains('\0') => {
                Err(nul_in_text(argument.node.as_str(), Some(pos)))
            }
            _ => Ok(()),
        }
    }
}

/// A NUL character: no text field takes one (PostgreSQL cannot store it).
fn nul_in_text(field: &str, pos: Option<Pos>) -> ServerError {
    let mut error = refuse(
        "BAD_USER_INPUT",
        format!("文本不能包含空字符（{field}）"),
        pos,
    );
    if let Some(ext) = error.extensions.as_mut() {
        ext.set("field", field);
    }
    error
}

fn list_too_long(field: &str, max: usize, pos: Option<Pos>) -> ServerError {
    let mut error = refuse(
        "BAD_USER_INPUT",
        format!("列表最多 {max} 项（{field}）"),
        pos,
    );
    if let Some(ext) = error.extensions.as_mut() {
        ext.set("field", field);
    }
    error
}

fn check_variables(name: &str, value: &async_graphql::Value, max: usize) -> ServerResult<()> {
    match value {
        async_graphql::Value::List(items) => {
            if items.len() > max {
                return Err(list_too_long(name, max, None));
            }
            items.iter().try_for_each(|v| check_variables(name, v, max))
        }
        async_graphql::Value::Object(fields) => fields
            .values()
            .try_for_each(|v| check_variables(name, v, max)),
        async_graphql::Value::String(text) if text.contains('\0') => Err(nul_in_text(name, None)),
        _ => Ok(()),
    }
}

/// Checks a parsed document against the limits. `introspection`: whether the schema may be
/// asked for (development) or not (production, where asking is a clear error, not a null).
pub fn check_document(
    doc: &ExecutableDocument,
    variables: &Variables,
    limits: &Limits,
    introspection: bool,
) -> ServerResult<()> {
    let walk = Walk {
        fragments: &doc.fragments,
        limits,
    };
    let mut tally = Tally::default();
    for fragment in doc.fragments.values() {
        walk.check_set(&fragment.node.selection_set.node, &mut tally)?;
    }
    for (_, operation) in doc.operations.iter() {
        let op = &operation.node;
        walk.check_set(&op.selection_set.node, &mut tally)?;
        if !introspection && walk.introspects(&op.selection_set.node, &mut HashSet::new()) {
            return Err(refuse(
                "FORBIDDEN",
                "生产环境已关闭内省查询（introspection is disabled）",
                Some(operation.pos),
            ));
        }
        let depth = walk.depth(&op.selection_set.node, &mut Vec::new());
        if depth > limits.max_depth {
            return Err(too_complex(
                format!("查询嵌套过深：{depth} 层，最多 {} 层", limits.max_depth),
                Some(operation.pos),
            ));
        }
        let mut root = Tally::default();
        walk.count_root(
            &op.selection_set.node,
            op.ty,
            &mut HashSet::new(),
            &mut root,
        );
        if root.root_fields > limits.max_root_fields {
            return Err(too_complex(
                format!(
                    "一个请求最多 {} 个顶层字段（本请求 {} 个）",
                    limits.max_root_fields, root.root_fields
                ),
                Some(operation.pos),
            ));
        }
        if root.session_fields > 1 {
            return Err(too_complex(
                "一个请求只能包含一次 login 或 refreshSession",
                Some(operation.pos),
            ));
        }
    }
    if tally.aliases > limits.max_aliases {
        return Err(too_complex(
            format!(
                "一个请求最多 {} 个别名（本请求 {} 个）",
                limits.max_aliases, tally.aliases
            ),
            None,
        ));
    }
    for (name, value) in variables.iter() {
        check_variables(name.as_str(), value, limits.max_list_items)?;
    }
    Ok(())
}

/// The error for a document nested past the limit.
pub fn too_deep(max: usize) -> ServerError {
    too_complex(format!("查询嵌套过深（最多 {max} 层括号）"), None)
}

/// Documents longer than this are parsed every time, not kept.
const MAX_KEPT_BYTES: usize = 16 * 1024;

/// Parsed documents by their exact text: apps send the same few documents over and over, and
/// parsing costs more than copying the tree. Only documents that parsed are kept; the checks
/// above still run on every request, on the copy, with that request's variables.
struct ParsedDocuments(Mutex<lru::LruCache<Arc<str>, Arc<ExecutableDocument>>>);

impl ParsedDocuments {
    fn new(entries: usize) -> Option<Self> {
        let entries = NonZeroUsize::new(entries)?;
        Some(ParsedDocuments(Mutex::new(lru::LruCache::new(entries))))
    }

    fn get(&self, text: &str) -> Option<Arc<ExecutableDocument>> {
        self.0.lock().ok()?.get(text).cloned()
    }

    fn put(&self, text: &str, doc: &ExecutableDocument) {
        if text.len() <= MAX_KEPT_BYTES
            && let Ok(mut cache) = self.0.lock()
        {
            cache.put(Arc::from(text), Arc::new(doc.clone()));
        }
    }
}

/// What one request's validation depends on: its document, operation and variables. The
/// complexity of each such request that passed validation is kept under it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestShape {
    query: Arc<str>,
    operation: Option<String>,
    variables: String,
}

impl RequestShape {
    /// `None` for a document or variables too large to keep.
    pub fn of(request: &async_graphql::Request) -> Option<Self> {
        if request.query.len() > MAX_KEPT_BYTES {
            return None;
        }
        let variables = serde_json::to_string(&request.variables).ok()?;
        (variables.len() <= MAX_KEPT_VARIABLES).then(|| RequestShape {
            query: Arc::from(request.query.as_str()),
            operation: request.operation_name.clone(),
            variables,
        })
    }
}

/// Variables longer than this (as JSON) are not kept with their complexity.
const MAX_KEPT_VARIABLES: usize = 4 * 1024;

/// The complexity of requests that passed validation, by shape.
struct Complexities(Mutex<lru::LruCache<RequestShape, usize>>);

/// The checks around the parser, and the complexity of requests seen before. As a schema
/// extension (`DocumentGuard` is its factory) it checks each document around the parser and
/// charges the budget after validation; `document` and `known_complexity` let a request whose
/// shape was validated before run on a schema without extensions, with the same checks.
#[derive(Clone)]
pub struct DocumentGuard {
    limits: Arc<Limits>,
    introspection: bool,
    parsed: Option<Arc<ParsedDocuments>>,
    complexities: Option<Arc<Complexities>>,
}

impl DocumentGuard {
    pub fn new(limits: &Limits, introspection: bool) -> Self {
        DocumentGuard {
            limits: Arc::new(limits.clone()),
            introspection,
            parsed: ParsedDocuments::new(limits.parsed_documents).map(Arc::new),
            complexities: NonZeroUsize::new(limits.parsed_documents)
                .map(|n| Arc::new(Complexities(Mutex::new(lru::LruCache::new(n))))),
        }
    }

    /// The complexity validation found for a request of this shape, if one came before.
    pub fn known_complexity(&self, shape: &RequestShape) -> Option<usize> {
        self.complexities
            .as_ref()?
            .0
            .lock()
            .ok()?
            .get(shape)
            .copied()
    }

    fn remember(&self, shape: &RequestShape, complexity: usize) {
        if let Some(kept) = &self.complexities
            && let Ok(mut kept) = kept.0.lock()
        {
            kept.put(shape.clone(), complexity);
        }
    }

    /// The document of a request, checked as the extension's parse hook checks it.
    pub async fn document(
        &self,
        query: &str,
        variables: &Variables,
    ) -> ServerResult<ExecutableDocument> {
        self.checked(query, variables, async || {
            Ok(async_graphql::parser::parse_query(query)?)
        })
        .await
    }

    /// The checks around the parser: a document nested past the limit is refused before any
    /// parser sees it; one parsed before comes from the kept copies, else `parse` reads it (and
    /// it is kept); then its aliases, root fields and nesting are checked.
    async fn checked(
        &self,
        query: &str,
        variables: &Variables,
        parse: impl AsyncFnOnce() -> ServerResult<ExecutableDocument>,
    ) -> ServerResult<ExecutableDocument> {
        if nesting_exceeds(query, self.limits.max_nesting) {
            return Err(too_deep(self.limits.max_nesting));
        }
        let kept = self.parsed.as_ref().and_then(|parsed| parsed.get(query));
        let doc = match kept {
            Some(doc) => ExecutableDocument::clone(&doc),
            None => {
                let doc = parse().await?;
                if let Some(parsed) = &self.parsed {
                    parsed.put(query, &doc);
                }
                doc
            }
        };
        check_document(&doc, variables, &self.limits, self.introspection)?;
        Ok(doc)
    }
}

impl ExtensionFactory for DocumentGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension(self.clone()))
    }
}

struct GuardExtension(DocumentGuard);

#[async_graphql::async_trait::async_trait]
impl Extension for GuardExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        self.0
            .checked(query, variables, async || {
                next.run(ctx, query, variables).await
            })
            .await
    }

    /// A valid document is priced by its complexity: the caller's budget pays for what goes
    /// beyond an ordinary page, before anything runs. The complexity is kept by the request's
    /// shape (when the caller passed one), so the next request of that shape can skip this.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(shape) = ctx.data_opt::<RequestShape>() {
            self.0.remember(shape, result.complexity);
        }
        if let (Some(payer), Some(state)) = (
            ctx.data_opt::<crate::budget::Payer>(),
            ctx.data_opt::<crate::state::AppState>(),
        ) {
            charge_complexity(state, *payer, result.complexity).map_err(|error| vec![error])?;
        }
        Ok(result)
    }
}

/// Charges `payer` for what a request of `complexity` costs beyond an ordinary page.
pub fn charge_complexity(
    state: &crate::state::AppState,
    payer: crate::budget::Payer,
    complexity: usize,
) -> ServerResult<()> {
    let extra = crate::budget::tokens_for_complexity(complexity);
    if extra > 0
        && let Err(refused) = state.budgets.charge(payer, extra)
    {
        let error: async_graphql::Error = refused.into();
        return Err(error.into_server_error(Pos::default()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Value;

    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        assert!(!nesting_exceeds("{ a { b { c } } }", 3));
        assert!(nesting_exceeds("{ a { b { c { d } } } }", 3));
        assert!(nesting_exceeds(
            &format!("{{ __typename(a: {}", "[".repeat(5000)),
            64
        ));
        // Brackets in strings, block strings and comments do not count.
        let s = format!(
            "{{ a(x: \"{}\", y: \"\"\"{}\\\"\"\" ]]\"\"\") # {}\n }}",
            "[".repeat(100),
            "{".repeat(100),
            "(".repeat(100)
        );
        assert!(!nesting_exceeds(&s, 3));
        // An escaped quote does not end a string.
        assert!(!nesting_exceeds(r#"{ a(x: "\"[[[[") }"#, 3));
        // Unbalanced closers never go below zero.
        assert!(!nesting_exceeds("}}}}{ a }", 1));
    }

    fn limits() -> Limits {
        crate::config::Settings::defaults(
            crate::config::Environment::Development,
            ".".into(),
            String::new(),
            Vec::new(),
            Vec::new(),
        )
        .limits
    }

    fn check(query: &str) -> ServerResult<()> {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        check_document(&doc, &Variables::default(), &limits(), true)
    }

    fn code(result: ServerResult<()>) -> String {
        let error = result.expect_err("refused");
        match error.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(Value::String(code)) => code.clone(),
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn root_fields_aliases_and_session_fields_are_capped() {
        let many: String = (0..40).map(|i| format!("a{i}: me {{ id }} ")).collect();
        assert_eq!(code(check(&format!("{{ {many} }}"))), "QUERY_TOO_COMPLEX");
        // Fragments count where they are spread.
        let fields: String = (0..30).map(|i| format!("a{i}: me {{ id }} ")).collect();
        assert_eq!(
            code(check(&format!(
                "query {{ ...F }} fragment F on QueryRoot {{ {fields} }}"
            ))),
            "QUERY_TOO_COMPLEX"
        );
        assert_eq!(
            code(check(
                "mutation { a: login(phone: \"1\", password: \"x\") { accessToken } b: login(phone: \"1\", password: \"y\") { accessToken } }"
            )),
            "QUERY_TOO_COMPLEX"
        );
        assert!(check("mutation { login(phone: \"1\", password: \"x\") { accessToken } }").is_ok());
        assert!(check("{ a: me { id } b: labels { name } }").is_ok());
    }

    #[test]
    fn nul_characters_are_refused_in_literals_and_variables() {
        assert_eq!(
            code(check(
                "{ events(filter: { text: \"a\\u0000b\" }) { totalCount } }"
            )),
            "BAD_USER_INPUT"
        );
        let vars = Variables::from_json(serde_json::json!({ "f": { "text": "a\u{0}b" } }));
        let doc = async_graphql::parser::parse_query("query($f: EventFilterInput) { me { id } }")
            .expect("parses");
        assert!(check_document(&doc, &vars, &limits(), true).is_err());
    }

    #[test]
    fn typename_takes_no_arguments_and_lists_are_capped() {
        assert_eq!(code(check("{ __typename(a: 1) }")), "BAD_USER_INPUT");
        let long = vec!["REPORTED"; 101].join(",");
        assert_eq!(
            code(check(&format!(
                "{{ events(filter: {{ states: [{long}] }}) {{ totalCount }} }}"
            ))),
            "BAD_USER_INPUT"
        );
        let vars = Variables::from_json(serde_json::json!({ "s": vec!["REPORTED"; 101] }));
        let doc = async_graphql::parser::parse_query("query($s: [EventState!]) { me { id } }")
            .expect("parses");
        assert!(check_document(&doc, &vars, &limits(), true).is_err());
    }
}
