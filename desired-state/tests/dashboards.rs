//! Pass-2 checks of `spec.dashboards` (desired-state/src/dashboard_checks.rs): what is
//! accepted, and every problem reported at once with its position.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::PathBuf;

use desired_state::DashboardContent;

fn parse(dashboards: &str) -> Result<desired_state::DesiredState, String> {
    let yaml = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: shop }}\nspec:\n  alarms:\n    shop-cpu: {{ namespace: AWS/EC2, metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 1, comparison: \">\" }}\n  dashboards:\n{dashboards}"
    );
    desired_state::parse_sources(&[(PathBuf::from("s.yaml"), yaml)]).map_err(|d| d.to_string())
}

#[test]
fn a_body_may_be_a_mapping_or_a_string_of_json_but_must_be_an_object() {
    let state =
        parse("    a: { body: '{\"widgets\": []}' }\n    b: { body: { widgets: [] } }\n").unwrap();
    let dashboards = &state.stacks[0].dashboards;
    for name in ["a", "b"] {
        assert_eq!(
            dashboards[name].content,
            DashboardContent::Body(serde_json::json!({ "widgets": [] }))
        );
    }
    let err = parse("    a: { body: 'not json' }\n").unwrap_err();
    assert!(
        err.contains("s.yaml:8:16") && err.contains("not valid JSON"),
        "{err}"
    );
    let err = parse("    a: { body: '[1]' }\n").unwrap_err();
    assert!(err.contains("found a list"), "{err}");
}

#[test]
fn every_widget_problem_is_reported_at_once() {
    let err = parse(concat!(
        "    a:\n",
        "      widgets:\n",
        "        - { type: metrc }\n",
        "        - { type: text, title: x, markdown: y }\n",
        "        - { type: alarms, alarms: [shop-cpuu] }\n",
        "        - { type: metric, width: 30, metrics: [{ namespace: AWS/ECS }] }\n",
        "    b: { generated: true, widgets: [] }\n",
        "    c: {}\n",
        "    d: { widgets: [{ type: text, markdown: \"[mooring:stack=x 00]\" }] }\n",
    ))
    .unwrap_err();
    for expected in [
        "unknown widget kind `metrc` in dashboard `a`, did you mean `metric`?",
        "`title` does not apply to a `text` widget",
        "unknown alarm `shop-cpuu` in dashboard `a`",
        "invalid widget width 30: expected 1 to 24",
        "a widget metric has no `metric`",
        "dashboard `b` is declared more than one way",
        "dashboard `c` says nothing to show",
        "mooring's own ownership marker",
    ] {
        assert!(err.contains(expected), "{expected} in\n{err}");
    }
}
