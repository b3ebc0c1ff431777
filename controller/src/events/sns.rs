//! The SNS sink: the selected event types, folded, published to the stack's events topic.
//! Messages are written for people reading email; the event itself follows as JSON, and
//! message attributes let subscription filter policies pick reasons or stacks.

use std::collections::BTreeSet;
use std::fmt::Write;

use desired_state::{EventKind, TopicRef};

use super::fold::Folder;
use super::{Event, EventType};
use crate::aws::sns::{self as sns_api, Message, SnsError};
use crate::aws::{error_chain, Clients};

/// SNS refuses subjects of 100 characters or more.
const MAX_SUBJECT: usize = 99;

/// The line that separates the text for people from the event as JSON.
pub const JSON_MARKER: &str = "--- event (JSON) ---";

#[derive(Debug, thiserror::Error)]
pub enum SnsSinkError {
    #[error("events topic `{name}` not found in region {region}; events are not published to SNS until it exists")]
    TopicMissing { name: String, region: String },
    #[error(transparent)]
    Sns(#[from] SnsError),
    #[error("rendering event as JSON failed")]
    Json(#[source] serde_json::Error),
}

/// One stack's SNS sink: which topic, which event types, and the fold state.
#[derive(Debug)]
pub struct SnsSink {
    topic: TopicRef,
    /// Cached after the first successful lookup: a topic's ARN never changes.
    arn: Option<String>,
    types: BTreeSet<EventType>,
    pub(super) folder: Folder,
}

impl SnsSink {
    pub fn new(topic: TopicRef, types: &BTreeSet<EventKind>, window: std::time::Duration) -> Self {
        let arn = match &topic {
            TopicRef::Arn(arn) => Some(arn.clone()),
            TopicRef::Name(_) => None,
        };
        Self {
            topic,
            arn,
            types: types
                .iter()
                .map(|kind| match kind {
                    EventKind::Normal => EventType::Normal,
                    EventKind::Warning => EventType::Warning,
                })
                .collect(),
            folder: Folder::new(window),
        }
    }

    pub fn wants(&self, event: &Event) -> bool {
        self.types.contains(&event.kind)
    }

    /// The topic's ARN; a name is looked up in `region` until it is found.
    pub async fn topic_arn(
        &mut self,
        clients: &Clients,
        region: &str,
    ) -> Result<String, SnsSinkError> {
        if let Some(arn) = &self.arn {
            return Ok(arn.clone());
        }
        let name = match &self.topic {
            TopicRef::Arn(arn) => return Ok(arn.clone()),
            TopicRef::Name(name) => name,
        };
        let client = clients.sns(region).await;
        match sns_api::find_topic_arn(&client, region, name).await? {
            Some(arn) => {
                self.arn = Some(arn.clone());
                Ok(arn)
            }
            None => Err(SnsSinkError::TopicMissing {
                name: name.clone(),
                region: region.to_owned(),
            }),
        }
    }

    /// Publishes `events` to the topic, one message each. Returns what failed; a failed
    /// first occurrence is forgotten by the folder so that the next pass tries again.
    pub async fn deliver(
        &mut self,
        clients: &Clients,
        stack_region: &str,
        arn: &str,
        events: Vec<Event>,
    ) -> Vec<String> {
        // The topic's own region: an ARN may name another one than the stack's.
        let region = arn_region(arn).unwrap_or(stack_region);
        let client = clients.sns(region).await;
        let mut problems = Vec::new();
        for event in events {
            let sent = match message(&event) {
                Ok(message) => sns_api::publish(&client, arn, &message)
                    .await
                    .map_err(SnsSinkError::from),
                Err(e) => Err(SnsSinkError::Json(e)),
            };
            if let Err(e) = sent {
                tracing::warn!(topic = %arn, reason = %event.reason, error = %error_chain(&e), "publishing an event failed");
                if event.count <= 1 {
                    self.folder.forget(&event);
                }
                problems.push(format!(
                    "{} {}: {}",
                    event.reason,
                    event.object,
                    error_chain(&e)
                ));
                if matches!(e, SnsSinkError::Sns(SnsError::TopicNotFound { .. })) {
                    // The cached ARN is stale (the topic was deleted): look it up next pass.
                    if matches!(self.topic, TopicRef::Name(_)) {
                        self.arn = None;
                    }
                    break;
                }
            }
        }
        problems
    }
}

/// `arn:aws:sns:<region>:<account>:<name>` → region.
pub fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|region| !region.is_empty())
}

/// The SNS message for one event: a subject line and a body for people, then the JSON.
pub fn message(event: &Event) -> Result<Message, serde_json::Error> {
    let json = serde_json::to_string_pretty(event)?;
    let kind = match event.kind {
        EventType::Normal => "Normal",
        EventType::Warning => "Warning",
    };
    let repeats = if event.count > 1 {
        format!(" x{}", event.count)
    } else {
        String::new()
    };
    let subject = subject(&format!(
        "[mooring] {kind} {}{repeats}: {} (stack {})",
        event.reason, event.object, event.stack
    ));
    let mut body = String::new();
    let _ = writeln!(body, "{kind} {} on {}", event.reason, event.object);
    let _ = writeln!(body);
    let _ = writeln!(body, "{}", event.message);
    let _ = writeln!(body);
    let _ = writeln!(body, "stack:    {}", event.stack);
    let _ = writeln!(
        body,
        "time:     {}",
        event.time.format("%Y-%m-%d %H:%M:%S UTC")
    );
    let _ = writeln!(
        body,
        "revision: {}",
        event.revision.as_deref().unwrap_or("unknown")
    );
    if event.count > 1 {
        let _ = writeln!(body, "count:    {}", event.count);
    }
    if !event.diff.is_empty() {
        let _ = writeln!(body, "changes:");
        for field in &event.diff {
            let _ = writeln!(
                body,
                "  {}: {} → {}",
                field.field, field.before, field.after
            );
        }
    }
    let _ = writeln!(body);
    let _ = writeln!(body, "{JSON_MARKER}");
    body.push_str(&json);
    Ok(Message {
        subject,
        body,
        attributes: vec![
            ("mooring.type".into(), kind.into()),
            ("mooring.reason".into(), event.reason.to_string()),
            ("mooring.stack".into(), event.stack.clone()),
        ],
    })
}

/// SNS subjects are ASCII without line breaks, under 100 characters.
fn subject(text: &str) -> String {
    let ascii: String = text
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() <= MAX_SUBJECT {
        return ascii;
    }
    let mut cut = ascii[..MAX_SUBJECT - 3].to_owned();
    cut.push_str("...");
    cut
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::events::{FieldDiff, Phase, Reason};

    fn drift() -> Event {
        Event {
            time: chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            kind: EventType::Normal,
            reason: Reason::DriftCorrected,
            object: "ecs-service dev/api".into(),
            message: "set desiredCount to 2".into(),
            diff: vec![FieldDiff::new("desiredCount", 5, 2)],
            revision: Some("abc123".into()),
            stack: "dev".into(),
            phase: Phase::Applied,
            count: 1,
        }
    }

    #[test]
    fn a_message_reads_well_and_carries_the_event_as_json() {
        let message = message(&drift()).unwrap();
        assert_eq!(
            message.subject,
            "[mooring] Normal DriftCorrected: ecs-service dev/api (stack dev)"
        );
        assert!(
            message.body.starts_with(
                "Normal DriftCorrected on ecs-service dev/api\n\nset desiredCount to 2\n"
            ),
            "{}",
            message.body
        );
        assert!(message.body.contains("revision: abc123\n"));
        assert!(message.body.contains("  desiredCount: 5 → 2\n"));
        let (_, json) = message
            .body
            .split_once(&format!("{JSON_MARKER}\n"))
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(parsed["reason"], "DriftCorrected");
        assert_eq!(parsed["count"], 1);
        assert!(message
            .attributes
            .contains(&("mooring.reason".into(), "DriftCorrected".into())));
    }

    #[test]
    fn subjects_stay_ascii_and_short() {
        let mut event = drift();
        event.object = format!("ecs-service {}/é", "x".repeat(200));
        event.count = 4;
        let subject = message(&event).unwrap().subject;
        assert!(subject.len() < 100 && subject.is_ascii(), "{subject}");
        assert!(subject.ends_with("..."));
        assert!(subject.contains(" x4: "));
    }
}
