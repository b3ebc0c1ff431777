//! `mooring status`'s terminal table: one block per stack, one line per resource.

use std::fmt::Write as _;

use super::{Detail, Phase, ResourceStatus, StatusDocument, SyncState};

pub fn render(document: &StatusDocument) -> String {
    let mut out = String::new();
    for stack in &document.stacks {
        let counts: Vec<String> = stack
            .counts
            .iter()
            .map(|(state, count)| format!("{count} {state}"))
            .collect();
        let _ = writeln!(
            out,
            "stack {}{} · {}",
            stack.name,
            stack
                .region
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            if counts.is_empty() {
                "declares nothing".to_owned()
            } else {
                counts.join(", ")
            }
        );
        for note in &stack.notes {
            let _ = writeln!(out, "  ! {}: {}", note.reason, note.message);
        }
        let width =
            |f: fn(&ResourceStatus) -> usize| stack.resources.iter().map(f).max().unwrap_or(0);
        let kind_width = width(|r| r.kind.label().len());
        let name_width = width(|r| r.name.chars().count()).min(60);
        let state_width = width(|r| r.state.to_string().len());
        for resource in &stack.resources {
            let mut line = format!(
                "  {:<state_width$}  {:<kind_width$}  {:<name_width$}  {}",
                resource.state.to_string(),
                resource.kind.label(),
                resource.name,
                detail(resource),
            );
            if resource.state != SyncState::InSync {
                if let Some(reason) = &resource.reason {
                    let _ = write!(line, " — {reason}");
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
    if let Some(rejected) = &document.rejected {
        let _ = writeln!(out, "the latest desired state was refused:\n{rejected}");
    }
    if let Some(pass) = &document.last_pass {
        let _ = writeln!(
            out,
            "read in {} ms with {} AWS calls; {} need attention",
            pass.duration_ms,
            pass.aws_calls,
            document.needing_attention()
        );
    }
    out
}

fn detail(resource: &ResourceStatus) -> String {
    match &resource.detail {
        Detail::Service(service) => {
            let mut text = match service.desired_count {
                Some(count) => format!(
                    "{count} desired, {} running",
                    service.running_count.unwrap_or(0)
                ),
                None => "not seen".to_owned(),
            };
            if let Some(off) = &service.off_hours {
                let _ = write!(
                    text,
                    " · {}",
                    if off.phase == Phase::Asleep {
                        "asleep"
                    } else {
                        "awake"
                    }
                );
                if let Some(since) = off.since {
                    let _ = write!(text, " since {}", since.format("%Y-%m-%d %H:%M UTC"));
                }
                if let Some(next) = &off.next_transition {
                    let _ = write!(
                        text,
                        ", {} {}",
                        if next.to == Phase::Asleep {
                            "sleeps"
                        } else {
                            "wakes"
                        },
                        next.at.format("%a %Y-%m-%d %H:%M UTC")
                    );
                }
                if let Some(until) = off.awake_until {
                    let _ = write!(text, ", awake-until {}", until.to_rfc3339());
                }
                if let Some(until) = off.asleep_until {
                    let _ = write!(text, ", asleep-until {}", until.to_rfc3339());
                }
            }
            text
        }
        Detail::ScalableTarget(target) => match target.observed {
            Some(range) => format!(
                "{}-{}{}",
                range.min,
                range.max,
                if target.suspended == Some(true) {
                    ", scaling suspended"
                } else {
                    ""
                }
            ),
            None => "not registered".to_owned(),
        },
        Detail::ScalingPolicy(policy) => match policy.target {
            Some(target) => format!("{} {target}", policy.policy_type),
            None => policy.policy_type.to_owned(),
        },
        Detail::ScheduledAction(action) => action.schedule.clone(),
        Detail::Alarm(alarm) => match &alarm.alarm_state {
            Some(state) => state.value.clone(),
            None => String::new(),
        },
        Detail::Topic(topic) => format!("{} subscription(s)", topic.declared_subscriptions),
        Detail::Subscription(subscription) => {
            if subscription.pending_confirmation == Some(true) {
                "pending confirmation".to_owned()
            } else {
                String::new()
            }
        }
        Detail::Cluster(cluster) => format!(
            "Container Insights {}",
            cluster
                .container_insights
                .as_deref()
                .unwrap_or("not reported")
        ),
        Detail::Dashboard(dashboard) => {
            if dashboard.generated {
                "generated".to_owned()
            } else {
                String::new()
            }
        }
        Detail::Other {} => String::new(),
    }
}
