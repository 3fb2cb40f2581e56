//! Strict JSON parsing for messages that cross the firewall.
//!
//! The firewall must judge exactly the value the peer will act on. Parsers disagree on duplicate
//! object keys (serde_json, JavaScript and Python keep the last one), so a message with a duplicate
//! key is rejected rather than guessed at. Over-deep nesting is rejected too: it costs stack on
//! every peer and no legitimate MCP message needs it.

pub mod edit;
pub mod tree;

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Nesting limit for arrays and objects; below serde_json's own recursion limit of 128.
pub const DEFAULT_MAX_DEPTH: usize = 96;

/// Why a line is not an acceptable JSON value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 { offset: usize },
    /// The key is shown as text, invisible characters removed, not escaped: an escape such as
    /// `\u{200b}` would split a secret in the key so that the redactor no longer sees it.
    #[error("duplicate object key \"{}\"", crate::detect::hidden::strip(key))]
    DuplicateKey { key: String },
    #[error("nesting deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("not valid JSON: {0}")]
    Syntax(String),
}

/// Parses `bytes` as one JSON value, rejecting invalid UTF-8, duplicate keys and deep nesting.
pub fn parse_strict(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    parse_strict_str(text, max_depth)
}

/// [`parse_strict`] for text already known to be UTF-8.
pub fn parse_strict_str(text: &str, max_depth: usize) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictSeed::root(max_depth)
        .deserialize(&mut de)
        .map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(value)
}

/// Recovers our own error kinds from serde_json's message-only custom errors.
fn classify(err: serde_json::Error) -> JsonError {
    let text = err.to_string();
    if let Some(rest) = text.strip_prefix(DUPLICATE_PREFIX) {
        let key = rest.split(SUFFIX_MARK).next().unwrap_or_default();
        return JsonError::DuplicateKey {
            key: key.to_owned(),
        };
    }
    if let Some(rest) = text.strip_prefix(DEPTH_PREFIX) {
        let limit = rest
            .split(SUFFIX_MARK)
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        return JsonError::TooDeep { limit };
    }
    JsonError::Syntax(text)
}

const DUPLICATE_PREFIX: &str = "\u{1}duplicate:";
const DEPTH_PREFIX: &str = "\u{1}depth:";
const SUFFIX_MARK: char = '\u{1}';

/// Builds a [`Value`] while tracking depth and refusing duplicate keys.
#[derive(Clone, Copy)]
struct StrictSeed {
    depth: usize,
    max_depth: usize,
}

impl StrictSeed {
    fn root(max_depth: usize) -> Self {
        Self {
            depth: 0,
            max_depth,
        }
    }

    fn nested<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format_args!(
                "{DEPTH_PREFIX}{}{SUFFIX_MARK}",
                self.max_depth
            )));
        }
        Ok(Self {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSeed {
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
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "{DUPLICATE_PREFIX}{key}{SUFFIX_MARK}"
                )));
            }
            let value = access.next_value_seed(inner)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Value, JsonError> {
        parse_strict(s.as_bytes(), 8)
    }

    #[test]
    fn accepts_ordinary_messages() {
        let v =
            parse(r#"{"jsonrpc":"2.0","id":0,"method":"ping","params":{"a":[1,2,{"b":null}]}}"#)
                .unwrap();
        assert_eq!(v["id"], 0);
    }

    #[test]
    fn rejects_duplicate_keys_at_any_depth() {
        assert_eq!(
            parse(r#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateKey { key: "a".into() })
        );
        assert_eq!(
            parse(r#"{"p":{"x":{"path":"ok","path":"/etc/shadow"}}}"#),
            Err(JsonError::DuplicateKey { key: "path".into() })
        );
    }

    #[test]
    fn escaped_keys_that_decode_equal_are_duplicates() {
        assert!(matches!(
            parse(r#"{"path":1,"p\u0061th":2}"#),
            Err(JsonError::DuplicateKey { .. })
        ));
    }

    #[test]
    fn rejects_deep_nesting() {
        let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
        assert_eq!(parse(&deep), Err(JsonError::TooDeep { limit: 8 }));
        let ok = format!("{}{}", "[".repeat(8), "]".repeat(8));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn rejects_invalid_utf8_and_trailing_garbage() {
        assert_eq!(
            parse_strict(b"{\"a\":\"\xff\"}", 8),
            Err(JsonError::InvalidUtf8 { offset: 6 })
        );
        assert!(matches!(parse("{} x"), Err(JsonError::Syntax(_))));
        assert!(matches!(parse("not json"), Err(JsonError::Syntax(_))));
        assert!(matches!(
            parse(r#"{"a":"\ud800"}"#),
            Err(JsonError::Syntax(_))
        ));
    }
}
