//! The text layout from hand-made reports: marks, folding, the closing line.

use std::path::PathBuf;

use chrono::TimeZone;

use super::*;
use crate::events::{Event, EventType, FieldDiff, Phase, Reason};
use crate::pass::StackSummary;

fn event(
    object: &str,
    phase: Phase,
    (kind, reason): (EventType, Reason),
    diff: Vec<FieldDiff>,
) -> Event {
    Event {
        time: chrono::Utc.with_ymd_and_hms(2026, 3, 5, 3, 0, 0).unwrap(),
        kind,
        reason,
        object: object.into(),
        message: format!("will do {reason}"),
        diff,
        revision: None,
        stack: "shop".into(),
        phase,
        count: 1,
    }
}

fn planned(object: &str, reason: Reason, diff: Vec<FieldDiff>) -> Event {
    event(object, Phase::Planned, (EventType::Normal, reason), diff)
}

fn report(events: Vec<Event>) -> PassReport {
    PassReport {
        stacks: vec![StackSummary {
            name: "shop".into(),
            source: PathBuf::from("shop.yaml"),
            region: Some("eu-west-1".into()),
        }],
        revision: None,
        summary: Summary::of(&events),
        events,
        plan: crate::plan::SharedPlan::default(),
        outcomes: None,
        calls: Vec::new(),
        token_waits: Vec::new(),
        duration_ms: 1,
        status: None,
    }
}

const PLAN: TextOptions = TextOptions {
    applied: false,
    scope: ObserveScope::Everything,
    verbose: false,
    makes_changes: "`mooring apply`",
};

fn sleep_events() -> Vec<Event> {
    vec![
        planned(
            "ecs-service shop/web",
            Reason::Sleep,
            vec![FieldDiff::new(
                "tags.mooring:wake-count",
                None::<String>,
                "2",
            )],
        ),
        planned(
            "ecs-service shop/web",
            Reason::Sleep,
            vec![FieldDiff::new("desiredCount", 2, 0)],
        ),
        planned("alarm old-cpu", Reason::Pruned, Vec::new()),
        planned("ecs-service shop/legacy", Reason::Released, Vec::new()),
        planned(
            "alarm web-cpu",
            Reason::Created,
            vec![FieldDiff::new("threshold", None::<f64>, 80.0)],
        ),
        event(
            "ecs-service shop/typo",
            Phase::Observed,
            (EventType::Warning, Reason::ServiceNotFound),
            Vec::new(),
        ),
    ]
}

#[test]
fn one_block_per_resource_with_bookkeeping_folded_and_resources_counted() {
    let text = report_text(&report(sleep_events()), PLAN);
    assert_eq!(
        text,
        "stack shop (shop.yaml, eu-west-1)\n\
         \x20 ~ ecs-service shop/web  (Sleep)\n\
         \x20     desiredCount: 2 → 0\n\
         \x20     (bookkeeping tag mooring:wake-count not shown; --verbose shows it)\n\
         \x20 - alarm old-cpu  (Pruned)\n\
         \x20     will do Pruned\n\
         \x20 - ecs-service shop/legacy  (Released)\n\
         \x20     will do Released\n\
         \x20 + alarm web-cpu  (Created)\n\
         \x20     threshold = 80.0\n\
         \x20 ! ecs-service shop/typo  (ServiceNotFound)\n\
         \x20     ! will do ServiceNotFound\n\
         \n\
         Plan: 1 to change, 1 to create, 1 to release, 1 to delete; 1 warning (see ! above). `mooring apply` makes these changes.\n"
    );
}

#[test]
fn verbose_shows_every_event_and_its_bookkeeping() {
    let text = report_text(
        &report(sleep_events()),
        TextOptions {
            verbose: true,
            ..PLAN
        },
    );
    assert!(
        text.contains(
            "  ~ ecs-service shop/web  (Sleep)\n      Sleep: will do Sleep\n        tags.mooring:wake-count = \"2\"\n"
        ),
        "{text}"
    );
}

#[test]
fn the_account_matches_only_when_nothing_needs_attention() {
    let quiet = report_text(&report(Vec::new()), PLAN);
    assert!(quiet.contains("  no changes\n"), "{quiet}");
    assert!(
        quiet.ends_with("No changes. The account matches the desired state.\n"),
        "{quiet}"
    );
    let warned = report(vec![event(
        "alarm web-cpu",
        Phase::Observed,
        (EventType::Warning, Reason::NotOwned),
        Vec::new(),
    )]);
    let text = report_text(&warned, PLAN);
    assert!(
        text.ends_with("No changes; 1 warning needs attention (see ! above).\n"),
        "{text}"
    );
    let applied = report_text(
        &warned,
        TextOptions {
            applied: true,
            ..PLAN
        },
    );
    assert!(
        applied.ends_with("Apply complete: no changes; 1 warning needs attention (see ! above).\n"),
        "{applied}"
    );
}

#[test]
fn failures_are_counted_apart_from_what_was_done() {
    let events = vec![
        event(
            "ecs-service shop/web",
            Phase::Applied,
            (EventType::Normal, Reason::DriftCorrected),
            vec![FieldDiff::new("desiredCount", 5, 1)],
        ),
        event(
            "ecs-service shop/api",
            Phase::Failed,
            (EventType::Warning, Reason::ApplyFailed),
            vec![FieldDiff::new("desiredCount", 0, 1)],
        ),
    ];
    let text = report_text(
        &report(events),
        TextOptions {
            applied: true,
            ..PLAN
        },
    );
    assert!(
        text.contains("  ✗ ecs-service shop/api  (ApplyFailed)\n"),
        "{text}"
    );
    assert!(
        text.ends_with("Apply incomplete: 1 changed, 1 failed (see ✗ above).\n"),
        "{text}"
    );
}

#[test]
fn a_schedule_only_pass_keeps_its_own_wording() {
    let events = vec![planned(
        "ecs-service shop/web",
        Reason::Sleep,
        vec![FieldDiff::new("desiredCount", 2, 0)],
    )];
    let text = report_text(
        &report(events),
        TextOptions {
            scope: ObserveScope::ScheduleOnly,
            ..PLAN
        },
    );
    assert!(
        text.contains("Plan: 1 resource to change on schedule (sleep, wake). `mooring apply --schedule-only` makes the changes.\n"),
        "{text}"
    );
    assert!(
        text.ends_with("a full `mooring plan` checks them.\n"),
        "{text}"
    );
}
