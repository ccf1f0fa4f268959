//! Answers list every field they carry as required.
//!
//! utoipa derives `required` from the deserializing side: an `Option` field, or one with
//! `#[serde(default)]`, is "not required". That is right for request bodies (the field may be
//! left out) but wrong for answers and events, where serde writes every field (`None` as null).
//! Left as is, clients generated from the document (the web client's `api.gen.ts`) would see
//! `avatar_id?: number | null` and have to handle a field that never goes missing.
//!
//! So every object in a schema that is not an input (reachable from a request body, a parameter,
//! or `ClientEvent`) requires all its properties, except those written only when not empty
//! ([`SKIPPED_WHEN_EMPTY`]). schemathesis checks every answer against the document: a field
//! given `skip_serializing_if` and not listed there fails it.

use std::collections::BTreeSet;

use serde_json::Value;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::Modify;

/// `(component, property)`: fields with `skip_serializing_if` (anywhere inside the component).
const SKIPPED_WHEN_EMPTY: &[(&str, &str)] =
    &[("MessageDto", "attachment"), ("ReactionDto", "me"), ("ErrorDetail", "fields"), ("Event", "sessions")];

/// Schemas that are inputs although no request body names them.
const INPUT_ROOTS: &[&str] = &["ClientEvent"];

pub struct CompleteAnswers;

impl Modify for CompleteAnswers {
    fn modify(&self, openapi: &mut OpenApi) {
        let inputs = input_schemas(openapi);
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, schema) in components.schemas.iter_mut() {
            if !inputs.contains(name) {
                require_all(name, schema);
            }
        }
    }
}

/// Names of the component schemas reachable from request bodies, parameters and [`INPUT_ROOTS`].
fn input_schemas(openapi: &OpenApi) -> BTreeSet<String> {
    let paths = serde_json::to_value(&openapi.paths).unwrap_or(Value::Null);
    let mut pending: Vec<String> = INPUT_ROOTS.iter().map(|s| (*s).to_owned()).collect();
    collect_input_refs(&paths, false, &mut pending);
    let schemas = openapi.components.as_ref().map(|c| &c.schemas);
    let mut found = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !found.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.and_then(|s| s.get(&name)) {
            collect_refs(&serde_json::to_value(schema).unwrap_or(Value::Null), &mut pending);
        }
    }
    found
}

/// The schema names referenced under `requestBody` or `parameters` anywhere in `value`.
fn collect_input_refs(value: &Value, inside_input: bool, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let input = inside_input || key == "requestBody" || key == "parameters";
                if input && key == "$ref" {
                    out.extend(schema_name(v));
                }
                collect_input_refs(v, input, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_input_refs(v, inside_input, out)),
        _ => {}
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    collect_input_refs(value, true, out);
}

fn schema_name(reference: &Value) -> Option<String> {
    reference.as_str()?.strip_prefix("#/components/schemas/").map(str::to_owned)
}

/// Marks every property of every object inside `schema` required (references are left alone:
/// the schemas they name get their own turn).
fn require_all(component: &str, schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            for (property, inner) in object.properties.iter_mut() {
                let skipped = SKIPPED_WHEN_EMPTY.contains(&(component, property.as_str()));
                if !skipped && !object.required.contains(property) {
                    object.required.push(property.clone());
                }
                require_all(component, inner);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                require_all(component, items);
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(|s| require_all(component, s)),
        Schema::AllOf(all) => all.items.iter_mut().for_each(|s| require_all(component, s)),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|s| require_all(component, s)),
        _ => {}
    }
}
