//! Tests of the pass: backoff hold-back and the Throttled warning.

use std::time::Duration;

use chrono::TimeZone;

use super::*;
use crate::plan::{EcsOperation, Operation, Resource};

fn change(service: &str) -> Arc<Change> {
    Arc::new(Change {
        stack: "shop".into(),
        resource: Resource::EcsService {
            region: "us-east-1".into(),
            cluster: "shop".into(),
            service: service.into(),
        },
        reason: Reason::DriftCorrected,
        summary: "set desiredCount to 1".into(),
        diff: Vec::new(),
        operation: Operation::Ecs(EcsOperation::SetDesiredCount { count: 1 }),
        group: format!("us-east-1/shop/{service}"),
        after: None,
    })
}

fn outcome(service: &str, error: Option<&str>) -> Outcome {
    Outcome {
        change: change(service),
        error: error.map(str::to_owned),
    }
}

#[test]
fn a_failing_resource_is_held_back_and_the_others_go_ahead() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    let mut backoff = ResourceBackoff::new(Duration::from_secs(60), Duration::from_secs(3600));
    record_outcomes(
        &mut backoff,
        &[outcome("web", Some("AccessDenied")), outcome("api", None)],
        t0,
    );
    assert_eq!(backoff.failures("us-east-1/shop/web"), 1);
    assert_eq!(backoff.failures("us-east-1/shop/api"), 0);

    // The next pass, 30 s later: web waits, api is applied.
    let (ready, held) = hold_back(
        &[change("web"), change("api")],
        Some(&backoff),
        t0 + chrono::Duration::seconds(30),
    );
    assert_eq!(ready, vec![change("api")]);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].0, change("web"));
    assert_eq!(held[0].2, 1);

    // Once the delay (60–90 s with jitter) is over, web is tried again.
    let (ready, held) = hold_back(
        &[change("web")],
        Some(&backoff),
        t0 + chrono::Duration::seconds(91),
    );
    assert_eq!(ready.len(), 1);
    assert!(held.is_empty());

    // A success clears it.
    record_outcomes(
        &mut backoff,
        &[outcome("web", None)],
        t0 + chrono::Duration::seconds(91),
    );
    assert!(backoff.is_empty());
}

#[test]
fn without_backoff_everything_is_applied() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    let (ready, held) = hold_back(&[change("web")], None, t0);
    assert_eq!(ready.len(), 1);
    assert!(held.is_empty());
}

#[test]
fn throttling_is_a_warning_for_every_stack_of_the_pass() {
    let context = EventContext {
        time: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
        revision: Some("abc".into()),
    };
    let stacks = vec![StackSummary {
        name: "shop".into(),
        source: "shop.yaml".into(),
        region: Some("us-east-1".into()),
    }];
    let calm = OperationCount {
        service: "ECS".into(),
        operation: "DescribeServices".into(),
        stats: OperationStats {
            requests: 3,
            failed: 0,
            throttled: 0,
        },
    };
    assert!(throttled_events(std::slice::from_ref(&calm), &context, &stacks).is_empty());
    let stormy = OperationCount {
        operation: "UpdateService".into(),
        stats: OperationStats {
            requests: 5,
            failed: 2,
            throttled: 2,
        },
        ..calm.clone()
    };
    let events = throttled_events(&[calm, stormy], &context, &stacks);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reason, Reason::Throttled);
    assert_eq!(events[0].kind, EventType::Warning);
    assert_eq!(events[0].stack, "shop");
    assert!(
        events[0].message.contains("ECS UpdateService ×2"),
        "{}",
        events[0].message
    );
}
