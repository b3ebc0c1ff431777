//! The status page `mooring run` serves at `/`: server-rendered HTML and CSS from the
//! binary, nothing fetched from elsewhere, no script but a meta refresh. Every value goes
//! through maud's escaping (names and messages come from AWS and from files); nothing
//! here writes `PreEscaped` but the stylesheet, a constant.

use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::timeline;
use super::{
    Detail, OffHoursStatus, Phase, ResourceStatus, StackStatus, StatusDocument, SyncState,
};
use crate::events::Event;

/// Seconds between reloads of the page.
pub const REFRESH_SECONDS: u32 = 15;

/// Events of `document.events` the page lists.
const EVENTS_SHOWN: usize = 30;

const STYLE: &str = r"
:root { color-scheme: light dark; --fg: #1d232b; --bg: #fff; --muted: #5b6673; --line: #d9dee4;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da; --chip: #f3f5f7; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0;
  --line: #30363d; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --info: #58a6ff; --chip: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif;
  color: var(--fg); background: var(--bg); }
header, section { max-width: 78rem; margin: 0 auto 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin: 0 0 .4rem; }
h3 { font-size: .95rem; margin: 1rem 0 .3rem; }
.meta { color: var(--muted); margin: 0; } code, pre { font: 12px/1.4 ui-monospace, monospace; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
td.name { word-break: break-all; min-width: 10rem; }
.state { display: inline-block; padding: 0 .4rem; border-radius: .6rem; font-size: 12px; font-weight: 600;
  background: var(--chip); white-space: nowrap; }
.InSync, .OK { color: var(--ok); } .Paused, .Unknown, .Released, .INSUFFICIENT_DATA { color: var(--muted); }
.Pending, .Missing, .NotOwned { color: var(--warn); } .Drifted, .Failed, .ALARM { color: var(--bad); }
.counts span { margin-right: .6rem; }
.rejected, .note { border-left: 3px solid var(--bad); padding: .3rem .6rem; background: var(--chip); }
.note.Normal { border-color: var(--info); }
pre { white-space: pre-wrap; word-break: break-word; margin: .2rem 0; }
.timeline text { font-size: 9px; fill: var(--muted); } .timeline .awake { fill: var(--ok); }
.timeline .asleep { fill: var(--line); } .timeline .changes { fill: var(--warn); }
.timeline .now { stroke: var(--bad); stroke-width: 2; }
.diff { color: var(--muted); }
@media (max-width: 40rem) { body { padding: .5rem; } .hide-narrow { display: none; } }
";

pub fn page(document: &StatusDocument, now: DateTime<Utc>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="refresh" content=(REFRESH_SECONDS);
                title { "mooring · " (summary_line(document)) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "mooring" }
                    p.meta {
                        "desired state " code { (document.source) }
                        @if let Some(revision) = &document.revision { " · revision " code { (revision) } }
                    }
                    p.meta { (last_pass_line(document, now)) }
                    @if let Some(rejected) = &document.rejected {
                        div.rejected id="rejected" {
                            strong { "The latest desired state was refused; the previous one is still applied." }
                            pre { (rejected) }
                        }
                    }
                    @if !document.loaded && document.rejected.is_none() {
                        p.note { "No desired state loaded yet." }
                    }
                }
                @for stack in &document.stacks {
                    (stack_section(stack, now))
                }
                (events_section(&document.events, now))
            }
        }
    }
}

fn summary_line(document: &StatusDocument) -> String {
    match document.needing_attention() {
        0 => "in sync".to_owned(),
        1 => "1 resource needs attention".to_owned(),
        n => format!("{n} resources need attention"),
    }
}

fn last_pass_line(document: &StatusDocument, now: DateTime<Utc>) -> String {
    match &document.last_pass {
        Some(pass) => format!(
            "last pass {} ({} ms, {} AWS calls, {} changing, {} failed) · {} passes{}",
            ago(pass.at, now),
            pass.duration_ms,
            pass.aws_calls,
            pass.mutating_calls,
            pass.failed,
            document.passes,
            document
                .last_success_at
                .map(|at| format!(" · last without failures {}", ago(at, now)))
                .unwrap_or_default()
        ),
        None => "no pass yet".to_owned(),
    }
}

/// `12 s ago`, `5 min ago`, or the instant when older than a day.
fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    match seconds {
        s if s < 0 => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        s if s < 90 => format!("{s} s ago"),
        s if s < 90 * 60 => format!("{} min ago", s / 60),
        s if s < 24 * 3600 => format!("{} h ago", s / 3600),
        _ => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

fn stack_section(stack: &StackStatus, now: DateTime<Utc>) -> Markup {
    html! {
        section.stack id=(format!("stack-{}", stack.name)) {
            h2 { "stack " (stack.name) }
            p.meta {
                @if let Some(region) = &stack.region { (region) " · " }
                code { (stack.source.display().to_string()) }
            }
            p.counts {
                @for (state, count) in &stack.counts {
                    span class=(state.to_string()) { (count) " " (state.to_string()) }
                }
            }
            @for note in &stack.notes {
                div class=(format!("note {:?}", note.kind)) {
                    strong { (note.reason.to_string()) } " " (note.message)
                }
            }
            div.wrap {
                table.resources {
                    thead { tr { th { "kind" } th { "name" } th { "state" } th { "detail" } th.hide-narrow { "last event" } } }
                    tbody {
                        @for resource in &stack.resources { (resource_row(resource, now)) }
                    }
                }
            }
            @if !stack.timelines.is_empty() {
                h3 { "Off-hours, this week" }
                @for line in &stack.timelines {
                    div.wrap {
                        p.meta { (line.schedule) " (" (line.timezone) "): " (timeline::services_line(line)) }
                        (timeline::svg(line))
                    }
                }
            }
        }
    }
}

fn resource_row(resource: &ResourceStatus, now: DateTime<Utc>) -> Markup {
    html! {
        tr data-id=(resource.id) data-state=(resource.state.to_string()) {
            td { (resource.kind.label()) }
            td.name {
                (resource.name)
                @if let Some(management) = resource.management.filter(|m| *m != "full") {
                    " " span.meta { "(" (management) ")" }
                }
            }
            td { span class=(format!("state {}", resource.state)) { (resource.state.to_string()) } }
            td {
                (detail(&resource.detail, now))
                @if let Some(reason) = &resource.reason {
                    @if resource.state != SyncState::InSync { div.meta { (reason) } }
                }
            }
            td.hide-narrow {
                @if let Some(event) = &resource.last_event {
                    (event.reason.to_string()) " " span.meta { (ago(event.time, now)) }
                }
            }
        }
    }
}

fn detail(detail: &Detail, now: DateTime<Utc>) -> Markup {
    match detail {
        Detail::Service(service) => html! {
            @if let Some(count) = service.desired_count {
                (count) " desired · " (service.running_count.unwrap_or(0)) " running"
                @if service.pending_count.unwrap_or(0) > 0 { " · " (service.pending_count.unwrap_or(0)) " pending" }
            } @else {
                "not seen"
            }
            @match (service.declared_count, service.declared_range) {
                (Some(count), _) => { span.meta { " (file: " (count) ")" } },
                (None, Some(range)) => { span.meta { " (file: " (range.min) "–" (range.max) ")" } },
                _ => {},
            }
            @if let Some(off) = &service.off_hours { div { (off_hours(off, now)) } }
        },
        Detail::ScalableTarget(target) => html! {
            @match target.observed {
                Some(range) => { (range.min) "–" (range.max) },
                None => { "not registered or not read" },
            }
            span.meta { " (file: " (target.declared.min) "–" (target.declared.max) ")" }
            @if target.suspended == Some(true) { " · scaling suspended" }
        },
        Detail::ScalingPolicy(policy) => html! {
            (policy.policy_type)
            @if let Some(target) = policy.target { " · target " (target) }
            (found(policy.found))
        },
        Detail::ScheduledAction(action) => {
            html! { code { (action.schedule) } (found(action.found)) }
        }
        Detail::Alarm(alarm) => html! {
            @if let Some(state) = &alarm.alarm_state {
                span class=(format!("state {}", alarm_state_class(&state.value))) { (state.value) }
                @if let Some(since) = state.since { " " span.meta { "since " (ago(since, now)) } }
                @if let Some(reason) = &state.reason { div.meta { (reason) } }
            }
            @if let Some(threshold) = alarm.threshold { " threshold " (threshold) }
            (found(alarm.found))
        },
        Detail::Topic(topic) => html! {
            (topic.declared_subscriptions) " subscription(s) declared"
            (found(topic.found))
        },
        Detail::Subscription(subscription) => html! {
            (subscription.protocol) " " code { (subscription.endpoint) }
            @if subscription.pending_confirmation == Some(true) { " · " strong.Pending { "pending confirmation" } }
            (found(subscription.found))
        },
        Detail::Cluster(cluster) => html! {
            "Container Insights " (cluster.container_insights.as_deref().unwrap_or("not reported"))
            span.meta { " (file: " (cluster.declared_container_insights) ")" }
            (found(cluster.found))
        },
        Detail::Dashboard(dashboard) => html! {
            (if dashboard.generated { "generated from the stack" } else { "declared" })
            (found(dashboard.found))
        },
        Detail::Other {} => html! {},
    }
}

/// CloudWatch's three states have a colour; anything else is shown plain.
fn alarm_state_class(value: &str) -> &'static str {
    match value {
        "OK" => "OK",
        "ALARM" => "ALARM",
        "INSUFFICIENT_DATA" => "INSUFFICIENT_DATA",
        _ => "other",
    }
}

fn found(found: Option<bool>) -> Markup {
    html! {
        @match found {
            Some(false) => { " · " span.meta { "does not exist" } },
            None => { " · " span.meta { "not read" } },
            Some(true) => {},
        }
    }
}

fn off_hours(off: &OffHoursStatus, now: DateTime<Utc>) -> Markup {
    html! {
        span class=(if off.phase == Phase::Asleep { "state Paused" } else { "state InSync" }) {
            (if off.phase == Phase::Asleep { "asleep" } else { "awake" })
        }
        @if let Some(since) = off.since { " since " (ago(since, now)) }
        " · " (off.schedule)
        @if let Some(next) = &off.next_transition {
            " · " (if next.to == Phase::Asleep { "sleeps" } else { "wakes" }) " "
            (next.at.format("%a %H:%M UTC").to_string())
        }
        @if let Some(until) = off.awake_until { " · kept awake until " (until.format("%a %H:%M UTC").to_string()) }
        @if let Some(until) = off.asleep_until { " · kept asleep until " (until.format("%a %H:%M UTC").to_string()) }
    }
}

fn events_section(events: &[Event], now: DateTime<Utc>) -> Markup {
    html! {
        section.events id="events" {
            h2 { "Recent events" }
            @if events.is_empty() { p.meta { "None yet." } }
            div.wrap {
                table {
                    thead { tr { th { "when" } th { "reason" } th { "object" } th { "message" } } }
                    tbody {
                        @for event in events.iter().take(EVENTS_SHOWN) {
                            tr class=(format!("event {:?}", event.kind)) {
                                td { (ago(event.time, now)) @if event.count > 1 { " ×" (event.count) } }
                                td { span class=(format!("state {}", reason_class(event))) { (event.reason.to_string()) } }
                                td.name { (event.object) }
                                td {
                                    (event.message)
                                    @for diff in &event.diff {
                                        pre.diff { (diff.field) ": " (diff.before.to_string()) " → " (diff.after.to_string()) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn reason_class(event: &Event) -> &'static str {
    match event.kind {
        crate::events::EventType::Warning => "Failed",
        crate::events::EventType::Normal => "InSync",
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::events::{EventType, FieldDiff, Reason};
    use crate::status::{AlarmDetail, LastPass, ResourceKind, ServiceDetail, VERSION};

    const HOSTILE: &str = r#"<script>alert("x")</script> & 'q' "><img src=x onerror=alert(1)>"#;

    fn row(kind: ResourceKind, id: String, detail: Detail) -> ResourceStatus {
        ResourceStatus {
            name: id.clone(),
            id,
            kind,
            management: Some("full"),
            state: SyncState::Drifted,
            reason: Some(format!("drifted: {HOSTILE}")),
            detail,
            last_event: None,
        }
    }

    #[test]
    fn names_and_messages_from_aws_and_files_render_as_text() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let event = Event {
            time: now,
            kind: EventType::Warning,
            reason: Reason::DriftDetected,
            object: format!("alarm {HOSTILE}"),
            message: format!("threshold changed by {HOSTILE}"),
            diff: vec![FieldDiff::new("description", HOSTILE, "ok")],
            revision: Some(HOSTILE.into()),
            stack: HOSTILE.into(),
            phase: crate::events::Phase::Observed,
            count: 1,
        };
        let document = StatusDocument {
            version: VERSION,
            source: HOSTILE.into(),
            revision: Some(HOSTILE.into()),
            loaded: true,
            passes: 1,
            last_pass: Some(LastPass {
                at: now,
                duration_ms: 1,
                applied: true,
                aws_calls: 1,
                mutating_calls: 0,
                failed: 0,
            }),
            last_success_at: Some(now),
            rejected: Some(format!("</pre>{HOSTILE}")),
            stacks: vec![StackStatus {
                name: HOSTILE.into(),
                source: HOSTILE.into(),
                region: Some(HOSTILE.into()),
                counts: [(SyncState::Drifted, 2)].into_iter().collect(),
                notes: vec![event.clone()],
                resources: vec![
                    row(
                        ResourceKind::Service,
                        format!("ecs-service c/{HOSTILE}"),
                        Detail::Service(ServiceDetail::default()),
                    ),
                    row(
                        ResourceKind::Alarm,
                        format!("alarm {HOSTILE}"),
                        Detail::Alarm(AlarmDetail {
                            alarm_state: Some(crate::observed::alerting::AlarmState {
                                value: HOSTILE.into(),
                                reason: Some(HOSTILE.into()),
                                since: Some(now),
                            }),
                            threshold: Some(80.0),
                            found: Some(true),
                        }),
                    ),
                ],
                timelines: Vec::new(),
            }],
            events: vec![event],
        };
        let html = page(&document, now).into_string();
        // No markup of theirs survives: the page has no script and no image at all.
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("<pre>&lt;/pre&gt;&lt;script&gt;"), "{html}");
        // Their text is there, escaped, in every place it is printed.
        let escaped =
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'q' &quot;&gt;&lt;img";
        assert!(
            html.matches(escaped).count() >= 12,
            "{} escaped copies in {html}",
            html.matches(escaped).count()
        );
        // Attributes too: the row's id is quoted and escaped.
        assert!(
            html.contains("data-id=\"ecs-service c/&lt;script&gt;alert(&quot;x&quot;)"),
            "{html}"
        );
    }
}
