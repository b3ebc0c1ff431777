//! Pass-1 scalars that keep how they were written (a string or a bare number), so that
//! pass 2 can say what was wrong: account ids (a number loses leading zeros) and durations
//! (a number has no unit). Their JSON Schema says what is expected.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// An account id as written: a string, or a bare YAML number (rejected in pass 2 with a
/// hint to quote it, since a number loses leading zeros).
#[derive(Debug, Clone, PartialEq)]
pub enum RawAccountId {
    Text(String),
    Number(String),
}

/// A duration as written: `60s`, `5m`, `1h`; a bare number is kept to be rejected in pass 2
/// with a message that a unit is needed.
#[derive(Debug, Clone, PartialEq)]
pub enum RawDuration {
    Text(String),
    Number(String),
}

/// Accepts a string or a number, remembering which, so pass 2 can say what was wrong.
struct TextOrNumber;

impl Visitor<'_> for TextOrNumber {
    type Value = (bool, String);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((true, v.to_owned()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok((false, v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok((false, v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok((false, v.to_string()))
    }
}

impl<'de> Deserialize<'de> for RawAccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (text, value) = deserializer.deserialize_any(TextOrNumber)?;
        Ok(if text {
            Self::Text(value)
        } else {
            Self::Number(value)
        })
    }
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (text, value) = deserializer.deserialize_any(TextOrNumber)?;
        Ok(if text {
            Self::Text(value)
        } else {
            Self::Number(value)
        })
    }
}

impl JsonSchema for RawAccountId {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("AccountId")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{12}$",
            "description": "A 12-digit AWS account id, quoted (e.g. \"123456789012\")."
        })
    }
}

impl JsonSchema for RawDuration {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Duration")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(s|m|h|d)$",
            "description": "A duration with a unit: seconds (`60s`), minutes (`5m`), hours (`1h`) or days (`1d`)."
        })
    }
}
