use std::collections::BTreeMap;
use std::path::PathBuf;

use desired_state::Stack;
use serde_json::json;

use super::*;
use crate::observed::dashboards::ObservedDashboard;

const YAML: &str = r##"
apiVersion: mooring/v1
kind: Stack
metadata: { name: shop }
spec:
  region: us-east-1
  dashboards:
    shop-main:
      widgets:
        - { type: text, markdown: "# Shop" }
        - type: metric
          title: CPU
          metrics: [{ namespace: AWS/ECS, metric: CPUUtilization }]
"##;

fn stack(yaml: &str) -> Stack {
    match desired_state::parse_sources(&[(PathBuf::from("test.yaml"), yaml.to_owned())]) {
        Ok(mut desired) => desired.stacks.remove(0),
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

fn seen() -> ObservedStack {
    ObservedStack {
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        ..ObservedStack::default()
    }
}

fn plan_with(stack: &Stack, found: BTreeMap<String, Value>) -> Plan {
    let found = Dashboards {
        found: found
            .into_iter()
            .map(|(name, body)| {
                let arn = format!("arn:aws:cloudwatch::123456789012:dashboard/{name}");
                (name, ObservedDashboard { arn, body })
            })
            .collect(),
    };
    let mut plan = Plan::default();
    let mut budget = PruneBudget::new(stack);
    plan_dashboards(stack, &seen(), &found, &mut budget, &mut plan);
    budget.report(stack, &mut plan);
    plan
}

/// The body mooring would put, parsed back, as the account then holds it.
fn applied(plan: &Plan) -> Value {
    match &plan.changes[0].operation {
        Operation::Dashboard(DashboardOperation::PutDashboard { body }) => {
            serde_json::from_str(body).expect("json")
        }
        other => panic!("not a put: {other:?}"),
    }
}

#[test]
fn create_then_converged_then_drift_then_desired_change() {
    let stack = stack(YAML);
    let created = plan_with(&stack, BTreeMap::new());
    assert_eq!(created.changes.len(), 1);
    assert_eq!(created.changes[0].reason, Reason::Created);
    let body = applied(&created);

    let converged = plan_with(&stack, BTreeMap::from([("shop-main".into(), body.clone())]));
    assert!(converged.changes.is_empty(), "{converged:?}");

    // Re-serialised with other key order and 6.0 for 6: still converged.
    let text = body.to_string().replace("\"width\":6", "\"width\":6.0");
    let respelled: Value = serde_json::from_str(&text).expect("json");
    assert!(
        plan_with(&stack, BTreeMap::from([("shop-main".into(), respelled)]))
            .changes
            .is_empty()
    );

    let mut edited = body.clone();
    edited["widgets"][1]["properties"]["title"] = json!("CPU by hand");
    let drift = plan_with(&stack, BTreeMap::from([("shop-main".into(), edited)]));
    assert_eq!(drift.changes[0].reason, Reason::DriftCorrected);
    assert_eq!(drift.changes[0].diff[0].field, "widgets.1.properties.title");

    let changed = stack_with_title(&stack, "CPU of the shop");
    let update = plan_with(&changed, BTreeMap::from([("shop-main".into(), body)]));
    assert_eq!(update.changes[0].reason, Reason::DesiredChanged);
}

fn stack_with_title(_: &Stack, title: &str) -> Stack {
    stack(&YAML.replace("title: CPU", &format!("title: {title}")))
}

#[test]
fn unmarked_other_stacks_and_adopted_dashboards() {
    let stack = stack(YAML);
    let unmarked = json!({"widgets": []});
    let plan = plan_with(
        &stack,
        BTreeMap::from([("shop-main".into(), unmarked.clone())]),
    );
    assert!(plan.changes.is_empty());
    assert_eq!(plan.notices[0].reason, Reason::NotOwned);

    let theirs = json!({"widgets": [{"type": "text", "properties": {"markdown": "[mooring:stack=other 00]"}}]});
    let plan = plan_with(&stack, BTreeMap::from([("shop-main".into(), theirs)]));
    assert!(plan.changes.is_empty());
    assert!(plan.notices[0].message.contains("stack other"));

    let adopting =
        self::stack(&YAML.replace("    shop-main:\n", "    shop-main:\n      adopt: true\n"));
    let plan = plan_with(&adopting, BTreeMap::from([("shop-main".into(), unmarked)]));
    assert_eq!(plan.changes[0].reason, Reason::Adopted);
}

#[test]
fn undeclared_dashboards_with_this_stacks_marker_are_pruned_within_the_cap() {
    let stack = stack(YAML);
    let ours = |n: u32| json!({"widgets": [{"type": "text", "properties": {"markdown": format!("[mooring:stack=shop {n:016}]")}}]});
    let mut found = BTreeMap::new();
    for n in 0..12 {
        found.insert(format!("shop-old-{n:02}"), ours(n));
    }
    found.insert("shop-theirs".into(), json!({"widgets": []}));
    let plan = plan_with(&stack, found);
    let pruned: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.reason == Reason::Pruned)
        .collect();
    assert_eq!(pruned.len(), 10, "the default cap");
    assert!(plan
        .notices
        .iter()
        .any(|n| n.reason == Reason::PruneBlocked));
    assert!(!plan
        .changes
        .iter()
        .any(|c| c.resource.to_string() == "dashboard shop-theirs"));
}

#[test]
fn observe_reports_and_paused_does_nothing() {
    let observe = stack(&YAML.replace(
        "    shop-main:\n",
        "    shop-main:\n      management: observe\n",
    ));
    let plan = plan_with(&observe, BTreeMap::new());
    assert!(plan.changes.is_empty());
    assert_eq!(plan.notices[0].reason, Reason::DriftDetected);
    let paused = stack(&YAML.replace(
        "    shop-main:\n",
        "    shop-main:\n      management: paused\n",
    ));
    let plan = plan_with(&paused, BTreeMap::new());
    assert!(plan.changes.is_empty() && plan.notices.is_empty());
}

#[test]
fn alarm_arns_planned_without_the_account_converge_once_it_is_known() {
    let yaml = format!(
        "{YAML}        - {{ type: alarms, alarms: [shop-cpu] }}\n  alarms:\n    shop-cpu: {{ namespace: AWS/EC2, metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 1, comparison: \">\" }}\n"
    );
    let stack = stack(&yaml);
    let fresh = ObservedStack {
        account: None,
        ..seen()
    };
    let mut plan = Plan::default();
    let mut budget = PruneBudget::new(&stack);
    let none = Dashboards::default();
    plan_dashboards(&stack, &fresh, &none, &mut budget, &mut plan);
    let Operation::Dashboard(DashboardOperation::PutDashboard { body }) =
        &plan.changes[0].operation
    else {
        panic!("{plan:?}");
    };
    assert!(
        body.contains("arn:aws:cloudwatch:us-east-1:<account>:alarm:shop-cpu"),
        "{body}"
    );
    // What the applier puts once STS told the account: converged, marker included.
    let applied: Value =
        serde_json::from_str(&body.replace(":<account>:", ":123456789012:")).expect("json");
    let again = plan_with(&stack, BTreeMap::from([("shop-main".into(), applied)]));
    assert!(again.changes.is_empty(), "{again:?}");
}
