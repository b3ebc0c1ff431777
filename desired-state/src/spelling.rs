//! How the format writes a value: the one place that turns a value read from AWS into the
//! text a person would write in a desired-state file. `mooring init` writes whole files
//! with it and `mooring accept` single values, so both spell `300` seconds as `5m` and
//! quote exactly the strings YAML would otherwise read as something else.

use crate::alarm::Comparison;

/// A duration in seconds with the largest unit that divides it: `5m`, `90s`, `1h`, `1d`.
/// Zero is `0s`.
pub fn duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(86_400, "d"), (3_600, "h"), (60, "m")];
    if secs == 0 {
        return "0s".to_owned();
    }
    for (size, unit) in UNITS {
        if secs % size == 0 {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

/// A number as a person writes it: `70`, not `70.0`; `0.5`; no exponent for the values
/// thresholds and targets take. Not finite: `.nan`/`.inf` as YAML spells them (AWS never
/// returns these, but the function is total).
pub fn number(value: f64) -> String {
    if value.is_nan() {
        return ".nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    // Whole numbers below 2^53 print exactly without a fraction.
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        // The cast is exact: the value is whole and within f64's integer range.
        #[allow(clippy::cast_possible_truncation)]
        return format!("{}", value as i64);
    }
    // Rust's shortest round-trip form: `0.1`, `99.95`, `1e-7`.
    format!("{value}")
}

/// The format's spelling of a CloudWatch comparison operator: `>`, `>=`, `<`, `<=`.
pub fn comparison(comparison: Comparison) -> &'static str {
    match comparison {
        Comparison::GreaterThanThreshold => ">",
        Comparison::GreaterThanOrEqualToThreshold => ">=",
        Comparison::LessThanThreshold => "<",
        Comparison::LessThanOrEqualToThreshold => "<=",
    }
}

/// A string as a YAML scalar that reads back as the same string: plain where that is
/// safe (`backend`, `AWS/ECS`, `ops@example.com`), double-quoted with escapes otherwise
/// (`"80"`, `"true"`, `"a: b"`, `"#x"`, `""`, `">"`). Usable for keys and values, in
/// block and flow context alike.
pub fn string(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        quoted(text)
    }
}

/// Always double-quoted, with JSON-compatible escapes (YAML's double-quoted style is a
/// superset of JSON strings).
pub fn quoted(text: &str) -> String {
    // serde_json's escaping is valid YAML double-quoted syntax; a `String` cannot fail
    // to serialise.
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{}\"", text.escape_default()))
}

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    // Leading characters that start another kind of node, and surrounding spaces.
    if "-?:,[]{}#&*!|>'\"%@`~ \t".contains(first) || text.ends_with([' ', '\t']) {
        return false;
    }
    // Characters that end a plain scalar in flow context or start a comment.
    if text.contains(": ")
        || text.ends_with(':')
        || text.contains(" #")
        || text.contains([',', '[', ']', '{', '}', '\n', '\r', '\t'])
        || text.chars().any(char::is_control)
    {
        return false;
    }
    !reads_as_non_string(text)
}

/// YAML 1.2 core schema (and the 1.1 words people still meet): text that a parser would
/// read as a null, a boolean or a number.
pub(crate) fn reads_as_non_string(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || matches!(lower.as_str(), ".inf" | "-.inf" | "+.inf" | ".nan")
    {
        return true;
    }
    let digits = text.trim_start_matches(['+', '-']);
    if digits.starts_with("0x") || digits.starts_with("0o") || digits.starts_with("0b") {
        return true;
    }
    // Anything a number parser accepts, including `1e3`, `1_000` and `.5`.
    text.parse::<f64>().is_ok() || text.replace('_', "").parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_largest_unit_that_divides_them() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(60), "1m");
        assert_eq!(duration(90), "90s");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(3_600), "1h");
        assert_eq!(duration(5_400), "90m");
        assert_eq!(duration(172_800), "2d");
        for secs in [0, 1, 59, 60, 61, 300, 3_599, 3_600, 86_400, 90_000] {
            let parsed = crate::duration::Duration::parse(&duration(secs)).map(|d| d.as_secs());
            assert_eq!(parsed, Ok(secs), "{secs}");
        }
    }

    #[test]
    fn numbers_are_written_as_people_write_them() {
        assert_eq!(number(70.0), "70");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(99.95), "99.95");
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number(f64::INFINITY), ".inf");
    }

    #[test]
    fn strings_are_quoted_only_where_yaml_would_read_them_otherwise() {
        for plain in [
            "backend",
            "AWS/ECS",
            "ops@example.com",
            "app/my-alb/0123",
            "p99",
            "a-b",
        ] {
            assert_eq!(string(plain), plain);
        }
        for (text, written) in [
            ("80", "\"80\""),
            ("true", "\"true\""),
            ("No", "\"No\""),
            ("", "\"\""),
            (">", "\">\""),
            ("a: b", "\"a: b\""),
            ("x #y", "\"x #y\""),
            ("1e3", "\"1e3\""),
            ("0x1F", "\"0x1F\""),
            ("line\nbreak", "\"line\\nbreak\""),
            ("- item", "\"- item\""),
            ("{x}", "\"{x}\""),
        ] {
            assert_eq!(string(text), written, "{text:?}");
        }
    }

    #[test]
    fn every_spelled_string_reads_back_as_itself_in_block_and_flow_context() {
        for text in [
            "backend",
            "80",
            "true",
            "",
            ">",
            "a: b",
            "x #y",
            "1e3",
            "tab\there",
            "é ü",
            "- item",
            "{x}",
            "[y]",
            "a,b",
            "'q'",
            "~",
            "null",
            " lead",
            "trail ",
        ] {
            let block = format!("k: {}\n", string(text));
            let flow = format!("k: {{ v: {} }}\n", string(text));
            let read: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&block).unwrap_or_else(|e| panic!("{block}: {e}"));
            assert_eq!(read["k"], text, "{block}");
            let read: std::collections::BTreeMap<
                String,
                std::collections::BTreeMap<String, String>,
            > = serde_saphyr::from_str(&flow).unwrap_or_else(|e| panic!("{flow}: {e}"));
            assert_eq!(read["k"]["v"], text, "{flow}");
        }
    }
}
