//! Numbers as the schema says: a YAML number, never a string that looks like one.
//!
//! serde-saphyr reads a quoted `"80"` into an `f64` field without complaint, so a file that
//! the JSON Schema (and an editor using it) refuses would still load. The raw types' numeric
//! fields go through these functions (`#[serde(deserialize_with = ...)]`) instead: they ask
//! for the node as it is (`deserialize_any`), where a quoted scalar arrives as a string.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::span::At;

/// A number type the format uses: `i64` (counts, whole) or `f64` (thresholds, targets).
pub(crate) trait YamlNumber: Sized {
    const EXPECTED: &'static str;
    fn from_i64(value: i64) -> Option<Self>;
    fn from_u64(value: u64) -> Option<Self>;
    fn from_f64(value: f64) -> Option<Self>;
}

impl YamlNumber for i64 {
    const EXPECTED: &'static str = "a whole number";
    fn from_i64(value: i64) -> Option<Self> {
        Some(value)
    }
    fn from_u64(value: u64) -> Option<Self> {
        i64::try_from(value).ok()
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
}

impl YamlNumber for f64 {
    const EXPECTED: &'static str = "a number";
    // Precision loss above 2^53 is what the schema's `number` means too.
    #[allow(clippy::cast_precision_loss)]
    fn from_i64(value: i64) -> Option<Self> {
        Some(value as f64)
    }
    #[allow(clippy::cast_precision_loss)]
    fn from_u64(value: u64) -> Option<Self> {
        Some(value as f64)
    }
    fn from_f64(value: f64) -> Option<Self> {
        Some(value)
    }
}

struct Strict<T>(T);

struct StrictVisitor<T>(PhantomData<T>);

impl<T: YamlNumber> StrictVisitor<T> {
    fn found<E: de::Error>(shown: impl fmt::Display) -> E {
        E::custom(format!(
            "invalid value: expected {}, found `{shown}`",
            T::EXPECTED
        ))
    }
}

impl<T: YamlNumber> Visitor<'_> for StrictVisitor<T> {
    type Value = Strict<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTED)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::from_i64(v).map(Strict).ok_or_else(|| Self::found(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::from_u64(v).map(Strict).ok_or_else(|| Self::found(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::from_f64(v).map(Strict).ok_or_else(|| Self::found(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        // A plain `80` arrives as a number; text that reads as one was quoted.
        if v.trim().parse::<f64>().is_ok() {
            return Err(E::custom(format!(
                "invalid value: expected {}, found the string \"{v}\": write it without quotes",
                T::EXPECTED
            )));
        }
        Err(Self::found(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Err(Self::found(v))
    }
}

impl<'de, T: YamlNumber> Deserialize<'de> for Strict<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor(PhantomData))
    }
}

/// `field: 80` with its position.
pub(crate) fn at<'de, D: Deserializer<'de>, T: YamlNumber>(
    deserializer: D,
) -> Result<At<T>, D::Error> {
    let at = At::<Strict<T>>::deserialize(deserializer)?;
    Ok(At {
        value: at.value.0,
        loc: at.loc,
    })
}

/// An optional `field: 80` with its position (use with `#[serde(default)]`).
pub(crate) fn optional_at<'de, D: Deserializer<'de>, T: YamlNumber>(
    deserializer: D,
) -> Result<Option<At<T>>, D::Error> {
    let at = Option::<At<Strict<T>>>::deserialize(deserializer)?;
    Ok(at.map(|at| At {
        value: at.value.0,
        loc: at.loc,
    }))
}

/// `field: 80` without a position.
pub(crate) fn plain<'de, D: Deserializer<'de>, T: YamlNumber>(
    deserializer: D,
) -> Result<T, D::Error> {
    Strict::<T>::deserialize(deserializer).map(|strict| strict.0)
}

/// An optional `field: 80` without a position (use with `#[serde(default)]`).
pub(crate) fn optional<'de, D: Deserializer<'de>, T: YamlNumber>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Option::<Strict<T>>::deserialize(deserializer).map(|strict| strict.map(|s| s.0))
}
