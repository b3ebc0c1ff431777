//! The stdout sink: every event as one JSON object a line (`--output jsonl`), which
//! CloudWatch Logs and `jq` read line by line.

use std::io::{self, Write};

use super::Event;

#[derive(Debug, thiserror::Error)]
pub enum StdoutError {
    #[error("rendering an event as JSON failed")]
    Json(#[from] serde_json::Error),
    #[error("writing events to stdout failed")]
    Write(#[from] io::Error),
}

/// Writes `events`, one compact JSON object a line.
pub fn write_json_lines<'a>(
    out: &mut impl Write,
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<(), StdoutError> {
    for event in events {
        serde_json::to_writer(&mut *out, event)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::events::{EventType, Phase, Reason};

    #[test]
    fn one_parseable_line_per_event() {
        let event = Event {
            time: chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            kind: EventType::Warning,
            reason: Reason::ServiceNotFound,
            object: "ecs-service dev/api".into(),
            message: "not found\nat all".into(),
            diff: Vec::new(),
            revision: None,
            stack: "dev".into(),
            phase: Phase::Observed,
            count: 1,
        };
        let mut out = Vec::new();
        write_json_lines(&mut out, [&event, &event]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let parsed: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(parsed["type"], "Warning");
        assert_eq!(parsed["reason"], "ServiceNotFound");
        assert_eq!(parsed["message"], "not found\nat all");
    }
}
