//! Names the input field a bad scalar sits in. The engine reports `Failed to parse "DateTime"
//! (occurred while parsing "ReportInput")` against the whole argument; clients want
//! `input.capturedAt`. Built once from the schema's own SDL: the argument and input-object field
//! types, so the offending value can be found by walking the sent value along its type.
use async_graphql::parser::types::{BaseType, Selection, Type, TypeKind, TypeSystemDefinition};
use async_graphql::{Name, Pos, Value, Variables};
use std::collections::HashMap;

/// A declared input type reduced to what the walk needs: the named type and list wrapping.
#[derive(Debug, Clone)]
enum Shape {
    Named(String),
    List(Box<Shape>),
}

fn shape(ty: &Type) -> Shape {
    match &ty.base {
        BaseType::Named(name) => Shape::Named(name.to_string()),
        BaseType::List(inner) => Shape::List(Box::new(shape(inner))),
    }
}

/// Argument and input-field types of the schema.
#[derive(Default)]
pub struct InputTypes {
    /// Input object → its fields.
    inputs: HashMap<String, Vec<(String, Shape)>>,
    /// (root type, field) → its arguments.
    root_args: HashMap<(String, String), Vec<(String, Shape)>>,
    query_root: String,
    mutation_root: String,
}

impl InputTypes {
    pub fn from_sdl(sdl: &str) -> Self {
        let mut types = InputTypes {
            query_root: "QueryRoot".into(),
            mutation_root: "MutationRoot".into(),
            ..Default::default()
        };
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return types;
        };
        for definition in doc.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    if let Some(q) = &schema.node.query {
                        types.query_root = q.node.to_string();
                    }
                    if let Some(m) = &schema.node.mutation {
                        types.mutation_root = m.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.to_string();
                    match &ty.node.kind {
                        TypeKind::InputObject(input) => {
                            let fields = input
                                .fields
                                .iter()
                                .map(|f| (f.node.name.node.to_string(), shape(&f.node.ty.node)))
                                .collect();
                            types.inputs.insert(name, fields);
                        }
                        TypeKind::Object(object) => {
                            for field in &object.fields {
                                let args = field
                                    .node
                                    .arguments
                                    .iter()
                                    .map(|a| (a.node.name.node.to_string(), shape(&a.node.ty.node)))
                                    .collect();
                                types
                                    .root_args
                                    .insert((name.clone(), field.node.name.node.to_string()), args);
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        types
    }

    /// The path (`input.capturedAt`, `first`) of the value an engine parse error is about, when
    /// it can be found: the scalar named in the message, in an argument of a root field.
    pub fn locate(
        &self,
        message: &str,
        pos: Option<Pos>,
        query: &str,
        variables: &Variables,
    ) -> Option<String> {
        let scalar = message
            .strip_prefix("Failed to parse \"")
            .and_then(|rest| rest.split('"').next())?;
        let doc = async_graphql::parser::parse_query(query).ok()?;
        for (_, operation) in doc.operations.iter() {
            let root = match operation.node.ty {
                async_graphql::parser::types::OperationType::Mutation => &self.mutation_root,
                _ => &self.query_root,
            };
            for item in &operation.node.selection_set.node.items {
                let Selection::Field(field) = &item.node else {
                    continue;
                };
                let field = &field.node;
                // The error points at the field or at one of its argument values.
                let here = pos.is_none_or(|p| {
                    field.name.pos == p
                        || field.alias.as_ref().is_some_and(|a| a.pos == p)
                        || field.arguments.iter().any(|(_, v)| v.pos == p)
                });
                if !here {
                    continue;
                }
                let Some(args) = self
                    .root_args
                    .get(&(root.clone(), field.name.node.to_string()))
                else {
                    continue;
                };
                for (name, value) in &field.arguments {
                    if pos.is_some_and(|p| value.pos != p && field.name.pos != p) {
                        continue;
                    }
                    let Some((_, ty)) = args.iter().find(|(a, _)| a == name.node.as_str()) else {
                        continue;
                    };
                    let Ok(value) = value
                        .node
                        .clone()
                        .into_const_with(|var: Name| variables.get(&var).cloned().ok_or(()))
                    else {
                        continue;
                    };
                    if let Some(path) = self.find(&value, ty, scalar, name.node.to_string()) {
                        return Some(path);
                    }
                }
            }
        }
        None
    }

    /// The first value of type `scalar` below `value` that does not parse as one.
    fn find(&self, value: &Value, ty: &Shape, scalar: &str, path: String) -> Option<String> {
        match ty {
            Shape::List(inner) => match value {
                Value::List(items) => items
                    .iter()
                    .enumerate()
                    .find_map(|(i, item)| self.find(item, inner, scalar, format!("{path}.{i}"))),
                other => self.find(other, inner, scalar, path),
            },
            Shape::Named(name) if name == scalar => {
                (!value_parses_as(value, scalar)).then_some(path)
            }
            Shape::Named(name) => {
                let fields = self.inputs.get(name)?;
                let Value::Object(sent) = value else {
                    return None;
                };
                fields.iter().find_map(|(field, ty)| {
                    let v = sent.get(field.as_str())?;
                    self.find(v, ty, scalar, format!("{path}.{field}"))
                })
            }
        }
    }
}

/// Does a sent value parse as the scalar? Unknown scalars are taken as fine.
fn value_parses_as(value: &Value, scalar: &str) -> bool {
    match (scalar, value) {
        (_, Value::Null) => true,
        ("UUID", Value::String(s)) => uuid::Uuid::parse_str(s).is_ok(),
        ("DateTime", Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        ("NaiveDate", Value::String(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        ("Int", Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        ("Float", Value::Number(_)) => true,
        ("Boolean", Value::Boolean(_)) => true,
        ("String" | "ID", Value::String(_)) => true,
        ("UUID" | "DateTime" | "NaiveDate" | "Int" | "Float" | "Boolean" | "String", _) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        input LocationInput { lat: Float! lng: Float! }
        input ReportInput { clientId: UUID! capturedAt: DateTime! location: LocationInput! photos: [Upload!] }
        type QueryRoot { regions(first: Int, after: String): Int }
        type MutationRoot { reportEvent(input: ReportInput!): Int }
        schema { query: QueryRoot mutation: MutationRoot }
    "#;

    #[test]
    fn the_bad_field_of_an_input_is_named() {
        let types = InputTypes::from_sdl(SDL);
        let q = r#"mutation { reportEvent(input: {clientId: "0197f000-0000-7000-8000-00000000a001", capturedAt: "yesterday", location: {lat: 1, lng: 2}}) }"#;
        let located = types.locate(
            "Failed to parse \"DateTime\": bad (occurred while parsing \"ReportInput\")",
            None,
            q,
            &Variables::default(),
        );
        assert_eq!(located.as_deref(), Some("input.capturedAt"));
        let q = "mutation($i: ReportInput!) { reportEvent(input: $i) }";
        let vars = Variables::from_json(serde_json::json!({
            "i": { "clientId": "x", "capturedAt": "2026-11-21T08:00:00Z", "location": {"lat": 1, "lng": 2} }
        }));
        let located = types.locate("Failed to parse \"UUID\": x", None, q, &vars);
        assert_eq!(located.as_deref(), Some("input.clientId"));
        let located = types.locate(
            "Failed to parse \"Int\": Only integers",
            None,
            "{ regions(first: 2147483648) }",
            &Variables::default(),
        );
        assert_eq!(located.as_deref(), Some("first"));
    }
}
