//! Durations with units (`60s`, `5m`, `1h`, `1d`), as whole seconds.

use std::fmt;

/// A whole number of seconds, written with a unit in the desired state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    pub fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    pub fn as_secs(self) -> u64 {
        self.0
    }

    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0)
    }

    /// Parses `<digits><unit>` with unit `s`, `m`, `h` or `d`. The error says what was
    /// expected; a bare number is rejected because `60` could mean seconds or minutes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(digits_end);
        if digits.is_empty() {
            return Err(format!(
                "invalid duration `{text}`: expected a whole number with a unit, e.g. `60s`, `5m`, `1h`"
            ));
        }
        let multiplier = match unit {
            "" => {
                return Err(format!(
                "duration `{text}` needs a unit: write `{text}s` for seconds, or use `m`, `h`, `d`"
            ))
            }
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            other => {
                return Err(format!(
                    "unknown duration unit `{other}` in `{text}`: expected `s`, `m`, `h` or `d`"
                ))
            }
        };
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier))
            .map(Self)
            .ok_or_else(|| format!("duration `{text}` is too large"))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn units_are_read_as_seconds() {
        assert_eq!(Duration::parse("60s"), Ok(Duration(60)));
        assert_eq!(Duration::parse("5m"), Ok(Duration(300)));
        assert_eq!(Duration::parse("1h"), Ok(Duration(3600)));
        assert_eq!(Duration::parse("2d"), Ok(Duration(172_800)));
    }

    #[test]
    fn bare_number_asks_for_a_unit() {
        let err = Duration::parse("60").unwrap_err();
        assert!(err.contains("needs a unit"), "{err}");
    }

    #[test]
    fn bad_unit_and_garbage_are_rejected() {
        assert!(Duration::parse("5min")
            .unwrap_err()
            .contains("unknown duration unit"));
        assert!(Duration::parse("s").is_err());
        assert!(Duration::parse("-5s").is_err());
        assert!(Duration::parse("99999999999999999999s").is_err());
    }
}
