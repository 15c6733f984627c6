//! Reading a scenario: JSON text → a `serde_json::Value` that refuses duplicate keys anywhere
//! (tracking the path of every value, so each error names its field), then a walk of that value
//! against the field table in `schema.rs`: unknown fields, wrong types, missing required fields,
//! numbers out of range and fractional numbers in whole-number fields all become a structured
//! `Error`. Whole numbers written as floats (`5.0`, `1e3`) are accepted in integer fields and
//! normalized, so the typed deserialization that follows cannot fail on them.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::schema::{self, Field, Ty};
use crate::error::{plain, Error, ErrorKind, Range};

/// Marks our own errors inside serde's message text.
const MARK: char = '\u{1f}';

/// The path of the value being read, one segment per level.
struct Cursor(RefCell<Vec<String>>);

impl Cursor {
    fn path(&self) -> String {
        join(&self.0.borrow())
    }
}

fn join(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if p.starts_with('[') || out.is_empty() {
            out.push_str(p);
        } else {
            out.push('.');
            out.push_str(p);
        }
    }
    out
}

struct Strict<'c>(&'c Cursor);

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.0 .0.borrow_mut().push(format!("[{}]", out.len()));
            let next = seq.next_element_seed(Strict(self.0))?;
            self.0 .0.borrow_mut().pop();
            match next {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.0 .0.borrow_mut().push(key.clone());
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("{MARK}duplicate")));
            }
            let value = map.next_value_seed(Strict(self.0))?;
            self.0 .0.borrow_mut().pop();
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Parses JSON text, refusing duplicate keys; errors name the path where reading stopped.
pub fn strict_json(text: &str) -> Result<Value, Error> {
    let cursor = Cursor(RefCell::new(Vec::new()));
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Strict(&cursor)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    value.map_err(|e| {
        let mut field = cursor.path();
        if field.len() > 80 {
            // A deeply nested document: the start of the path says where.
            let cut = field.char_indices().nth(60).map_or(field.len(), |(i, _)| i);
            field = format!("{}…", &field[..cut]);
        }
        let message = e.to_string();
        if message.starts_with(&format!("{MARK}duplicate")) {
            return Error::of(field, ErrorKind::Duplicate, None);
        }
        if message.starts_with("number out of range") {
            let range = schema::field(&field, None).and_then(Field::range);
            if let Some(range) = range {
                return Error::of(field, ErrorKind::OutOfRange { range }, Some("∞".into()));
            }
        }
        let (line, column) = (e.line() as u64, e.column() as u64);
        let mut err = Error::of(field, ErrorKind::Syntax { line, column }, None);
        if message.starts_with("recursion limit") {
            err.problem = format!("is nested too deeply (line {line}, column {column})");
        } else if e.is_eof() {
            err.problem = format!(
                "is not valid JSON: the text ends too early (line {line}, column {column})"
            );
        }
        err
    })
}

/// The JSON text of a value as a person would read it in a message (strings quoted, long
/// values cut).
pub fn shown(v: &Value) -> String {
    let s = match v {
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), plain),
        Value::Object(_) => "an object".to_string(),
        Value::Array(_) => "a list".to_string(),
        _ => v.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// Walks `value` (the whole scenario) against the field table, normalizing whole numbers.
pub fn check_document(value: &mut Value) -> Result<(), Error> {
    if !value.is_object() {
        return Err(Error::of(
            "",
            ErrorKind::WrongType {
                expected: "a JSON object ({ … })".into(),
            },
            Some(shown(value)),
        ));
    }
    check_object(value, "", "", None)
}

/// Checks an object against the fields under `normal` (a table path such as
/// `instances.overrides[]`); errors name `path`.
pub fn check_object_at(value: &mut Value, normal: &str, path: &str) -> Result<(), Error> {
    check_object(value, normal, path, None)
}

/// Checks the object at `normal` (path with `[]`), shown in errors as `path`.
fn check_object(
    value: &mut Value,
    normal: &str,
    path: &str,
    kind: Option<&str>,
) -> Result<(), Error> {
    let Value::Object(map) = value else {
        return Err(Error::of(
            path,
            ErrorKind::WrongType {
                expected: "an object".into(),
            },
            Some(shown(value)),
        ));
    };
    let children: Vec<&Field> = schema::fields()
        .iter()
        .filter(|f| {
            f.parent() == normal
                && (f.kinds.is_empty() || kind.is_some_and(|k| f.kinds.contains(&k)))
        })
        .collect();
    for (key, v) in map.iter_mut() {
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let Some(spec) = children.iter().find(|f| f.name() == key) else {
            let allowed = children.iter().map(|f| f.name().to_string()).collect();
            return Err(Error::of(
                child_path,
                ErrorKind::UnknownField { allowed },
                None,
            ));
        };
        check_value(spec, v, &child_path, kind)?;
    }
    for spec in children.iter().filter(|f| f.required) {
        if !map.contains_key(spec.name()) {
            let p = if path.is_empty() {
                spec.name().to_string()
            } else {
                format!("{path}.{}", spec.name())
            };
            return Err(Error::of(p, ErrorKind::Missing, None));
        }
    }
    Ok(())
}

/// Checks one value against its field's type; `path` is the value's path for messages.
pub fn check_value(
    spec: &Field,
    value: &mut Value,
    path: &str,
    kind: Option<&str>,
) -> Result<(), Error> {
    if value.is_null() && (spec.nullable || matches!(spec.ty, Ty::Optional)) {
        return Ok(());
    }
    match &spec.ty {
        Ty::Int { range } => {
            let x = number(value, path, *range)?;
            if x.fract() != 0.0 {
                return Err(Error::of(
                    path,
                    ErrorKind::NotWhole { range: *range },
                    Some(plain(x)),
                ));
            }
            // Whole numbers written as floats become integers for the typed structs.
            *value = Value::from(x as u64);
        }
        Ty::Float { range } => {
            number(value, path, *range)?;
        }
        Ty::Name { names } => match value.as_str() {
            Some(s) if names.contains(&s) => {}
            _ => {
                let allowed = names.iter().map(|n| n.to_string()).collect();
                return Err(Error::of(
                    path,
                    ErrorKind::UnknownName { allowed },
                    Some(shown(value)),
                ));
            }
        },
        Ty::Bool => {
            if !value.is_boolean() {
                return Err(Error::of(
                    path,
                    ErrorKind::WrongType {
                        expected: "true or false".into(),
                    },
                    Some(shown(value)),
                ));
            }
        }
        Ty::Object | Ty::Optional => check_object(value, &spec.path, path, kind)?,
        Ty::Tagged { names } => {
            let tag = match value.get("kind") {
                None if value.is_object() => {
                    return Err(Error::of(format!("{path}.kind"), ErrorKind::Missing, None))
                }
                Some(Value::String(s)) if names.contains(&s.as_str()) => s.clone(),
                Some(other) => {
                    let allowed = names.iter().map(|n| n.to_string()).collect();
                    return Err(Error::of(
                        format!("{path}.kind"),
                        ErrorKind::UnknownName { allowed },
                        Some(shown(other)),
                    ));
                }
                None => String::new(),
            };
            check_object(value, &spec.path, path, Some(&tag))?;
        }
        Ty::List { max } => {
            let Value::Array(items) = value else {
                return Err(Error::of(
                    path,
                    ErrorKind::WrongType {
                        expected: "a list ([ … ])".into(),
                    },
                    Some(shown(value)),
                ));
            };
            if items.len() as u64 > *max {
                return Err(Error::of(
                    path,
                    ErrorKind::TooMany { max: *max },
                    Some(items.len().to_string()),
                ));
            }
            let normal = format!("{}[]", spec.path);
            for (i, item) in items.iter_mut().enumerate() {
                check_object(item, &normal, &format!("{path}[{i}]"), kind)?;
            }
        }
        Ty::Any => {}
    }
    Ok(())
}

fn number(value: &Value, path: &str, range: Range) -> Result<f64, Error> {
    let x = match value {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::Null => {
            return Err(Error::of(
                path,
                ErrorKind::Empty { range: Some(range) },
                None,
            ))
        }
        other => {
            return Err(Error::of(
                path,
                ErrorKind::NotANumber { range: Some(range) },
                Some(shown(other)),
            ))
        }
    };
    if !x.is_finite() || !range.contains(x) {
        return Err(Error::of(
            path,
            ErrorKind::OutOfRange { range },
            Some(plain(x)),
        ));
    }
    Ok(x)
}

/// A value typed by a person into a number field: the text is parsed here, so the page never
/// guesses. Empty → `Empty`, not a number → `NotANumber`, then the field's own checks.
pub fn from_text(spec: &Field, text: &str) -> Result<Value, Error> {
    let range = spec.range();
    let t = text.trim();
    if range.is_none() {
        return Ok(Value::String(t.to_string()));
    }
    if t.is_empty() {
        return Err(Error::of(&spec.path, ErrorKind::Empty { range }, None));
    }
    // Accept the thousands separators people type ("100,000"; "10 000").
    let cleaned: String = t
        .chars()
        .filter(|c| *c != ',' && *c != '_' && *c != ' ')
        .collect();
    match cleaned.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Number::from_f64(x).map_or(Value::Null, Value::Number)),
        Ok(_) => Err(Error::of(
            &spec.path,
            ErrorKind::OutOfRange {
                range: range.expect("numeric"),
            },
            Some(t.to_string()),
        )),
        Err(_) => Err(Error::of(
            &spec.path,
            ErrorKind::NotANumber { range },
            Some(format!("\"{t}\"")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Error {
        let mut v = match strict_json(text) {
            Ok(v) => v,
            Err(e) => return e,
        };
        check_document(&mut v).unwrap_err()
    }

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        let e = err(r#"{"autoscaler": {"kind": "hpa", "min_replicas": 0, "min_replicas": 2}}"#);
        assert_eq!(e.field, "autoscaler.min_replicas");
        assert_eq!(e.kind, ErrorKind::Duplicate);
        let e = err(r#"{"seed": 1, "seed": 2}"#);
        assert_eq!(e.field, "seed");
    }

    #[test]
    fn arrays_and_other_roots_are_refused() {
        let e = err("[42, 10]");
        assert!(matches!(e.kind, ErrorKind::WrongType { .. }), "{e}");
        assert!(matches!(err("7").kind, ErrorKind::WrongType { .. }));
    }

    #[test]
    fn whole_floats_are_whole_numbers_everywhere() {
        let mut v = strict_json(r#"{"seed": 1e3, "instances": {"count": 5.0}}"#).unwrap();
        check_document(&mut v).unwrap();
        assert_eq!(v["seed"], Value::from(1000u64));
        assert_eq!(v["instances"]["count"], Value::from(5u64));
        let e = err(r#"{"instances": {"count": 5.5}}"#);
        assert!(matches!(e.kind, ErrorKind::NotWhole { .. }));
        assert_eq!(
            e.to_string(),
            "instances.count: must be a whole number between 0 and 100000, got 5.5"
        );
    }

    #[test]
    fn every_kind_of_mistake_names_its_field() {
        assert_eq!(err(r#"{"traffic": {"rate": 1}}"#).field, "traffic.rate");
        let e = err(r#"{"traffic": {"changes": [{"at_s": 1}]}}"#);
        assert_eq!(
            (e.field.as_str(), &e.kind),
            ("traffic.changes[0].rate_rps", &ErrorKind::Missing)
        );
        let e = err(r#"{"balancer": {"algorithm": "fastest"}}"#);
        assert!(matches!(e.kind, ErrorKind::UnknownName { .. }));
        let e = err(r#"{"instances": {"count": "5"}}"#);
        assert!(matches!(e.kind, ErrorKind::NotANumber { .. }));
        let e = err(r#"{"instances": {"count": null}}"#);
        assert!(matches!(e.kind, ErrorKind::Empty { .. }));
        let e = err(r#"{"autoscaler": {"min_replicas": 2}}"#);
        assert_eq!(
            (e.field.as_str(), &e.kind),
            ("autoscaler.kind", &ErrorKind::Missing)
        );
        let e = err(r#"{"autoscaler": {"kind": "formula", "tolerance": {}}}"#);
        assert!(matches!(e.kind, ErrorKind::UnknownField { .. }), "{e}");
        let e = err(r#"{"traffic": {"rate_rps": 1e999}}"#);
        assert_eq!(e.field, "traffic.rate_rps");
        assert!(matches!(e.kind, ErrorKind::OutOfRange { .. }), "{e}");
        let e = err("{\"seed\": 1,");
        assert!(matches!(e.kind, ErrorKind::Syntax { .. }));
    }

    #[test]
    fn deep_nesting_gives_a_short_message() {
        let text = format!(
            "{{\"autoscaler\": {}{}}}",
            "[".repeat(3000),
            "]".repeat(3000)
        );
        let e = err(&text);
        assert!(e.to_string().len() < 160, "{}", e);
    }

    #[test]
    fn typed_text() {
        let spec = schema::field("instances.count", None).unwrap();
        assert!(matches!(
            from_text(spec, "").unwrap_err().kind,
            ErrorKind::Empty { .. }
        ));
        assert!(matches!(
            from_text(spec, "abc").unwrap_err().kind,
            ErrorKind::NotANumber { .. }
        ));
        assert!(matches!(
            from_text(spec, "1e309").unwrap_err().kind,
            ErrorKind::OutOfRange { .. }
        ));
        assert_eq!(from_text(spec, " 100,000 ").unwrap(), Value::from(100000.0));
    }
}
