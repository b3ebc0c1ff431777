//! Durations on the command line: `30s`, `2m`, `250ms` (a unit is required: `30` could be
//! either); and instants (`--now`, `--from`), RFC 3339.

use std::time::Duration;

pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let value: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration such as 30s or 2m, found `{text}`"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(value)),
        "s" => value,
        "m" => value.saturating_mul(60),
        _ => {
            return Err(format!(
                "expected a duration with a unit (ms, s, m), found `{text}`"
            ))
        }
    };
    Ok(Duration::from_secs(seconds))
}

/// An RFC 3339 instant, e.g. `--now 2026-03-02T21:00:00Z`.
pub fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&chrono::Utc))
        .map_err(|_| {
            format!("expected an RFC 3339 instant such as 2026-03-02T21:00:00Z, found `{text}`")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_need_a_unit() {
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_timeout("30").is_err());
        assert!(parse_timeout("s").is_err());
        assert!(parse_timeout("").is_err());
    }
}
