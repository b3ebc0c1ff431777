//! CloudWatch dashboards: create, correct, adopt, prune, as alarms are (`alarms.rs`).
//!
//! Dashboards take no tags, so ownership and the record of the last apply are both the
//! marker widget mooring appends to every body it puts (`dashboard_body::with_marker`):
//! `mooring:stack=<stack> <digest of the declared body>`. This stack's marker: ours;
//! another stack's: NotOwned; none: adopted with `adopt: true`, else NotOwned. The digest
//! is the evidence for DriftCorrected vs DesiredChanged (`evidence.rs`). Bodies are
//! compared as parsed JSON in normal form (`dashboard_body::normalize`), marker left out.
//! Unlike alarms, the marker is the only ownership record there is: a marker copied by
//! hand onto a dashboard of the same name prefix makes it a prune candidate.

use std::collections::BTreeSet;

use desired_state::{Management, Stack};
use serde_json::Value;

use super::change::Resource;
use super::change::{dashboard_group, Change, DashboardOperation, Operation, Plan};
use super::dashboard_body::{declared_body, split_marker, with_marker, Place, ACCOUNT_PLACEHOLDER};
use super::diff::{field_diffs, summarize};
use super::digest::short_digest;
use super::evidence::{evidence, Action, Evidence};
use super::ownership::{drift_detected, not_owned, observe_only, owner, Owner};
use super::ownership::{ownership, Ownership, Subject};
use super::prune::PruneBudget;
use crate::events::{FieldDiff, Reason};
use crate::observed::alerting::Marker;
use crate::observed::dashboards::Dashboards;
use crate::observed::{account_of_arn, ObservedStack};

pub(super) fn plan_dashboards(
    stack: &Stack,
    seen: &ObservedStack,
    found: &Dashboards,
    budget: &mut PruneBudget,
    plan: &mut Plan,
) {
    let prefix = alarm_arn_prefix(stack, seen, found);
    let place = Place {
        region: &seen.region,
        alarm_arn_prefix: &prefix,
    };
    // The digest covers the dashboard as declared, alarm ARNs with the account as a
    // placeholder: whether the account was known when it was put must not change it.
    let declared_prefix = format!(
        "arn:aws:cloudwatch:{}:{ACCOUNT_PLACEHOLDER}:alarm:",
        seen.region
    );
    let declared_place = Place {
        region: &seen.region,
        alarm_arn_prefix: &declared_prefix,
    };
    let resource = |name: &str| Resource::Dashboard {
        region: seen.region.clone(),
        name: name.to_owned(),
    };
    for (name, dashboard) in &stack.dashboards {
        if dashboard.management == Management::Paused {
            continue;
        }
        let desired = declared_body(stack, dashboard, &place);
        let marker = Marker {
            stack: stack.name.clone(),
            digest: short_digest(&declared_body(stack, dashboard, &declared_place)),
        };
        let put = || {
            Operation::Dashboard(DashboardOperation::PutDashboard {
                body: with_marker(&desired, &marker).to_string(),
            })
        };
        let change = |reason, summary, diff| Change {
            stack: stack.name.clone(),
            resource: resource(name),
            reason,
            summary,
            diff,
            operation: put(),
            group: dashboard_group(&seen.region, name),
            after: None,
        };
        let Some(existing) = found.found.get(name) else {
            let diff = body_diff(None, Some(&desired));
            if dashboard.management == Management::Observe {
                let message = observe_only("the dashboard does not exist");
                plan.notices
                    .push(drift_detected(&stack.name, resource(name), message, diff));
                continue;
            }
            // Its marker went with it: nothing tells whether it was deleted by hand.
            let evidence = Evidence::Unknown;
            let summary = format!(
                "create dashboard {name} ({})",
                evidence.explain(Action::Create)
            );
            plan.changes
                .push(change(evidence.reason(Action::Create), summary, diff));
            continue;
        };
        let (body, found_marker) = split_marker(&existing.body);
        let differs = body != desired;
        let diff = if differs {
            body_diff(Some(&body), Some(&desired))
        } else {
            Vec::new()
        };
        if dashboard.management == Management::Observe {
            if differs {
                let message = observe_only("the dashboard differs from the desired state");
                plan.notices
                    .push(drift_detected(&stack.name, resource(name), message, diff));
            }
            continue;
        }
        let tag = found_marker.as_ref().map(|m| m.stack.as_str());
        match ownership(&stack.name, Subject::Dashboard, tag, dashboard.adopt) {
            Ownership::NotOwned(message) => {
                plan.notices
                    .push(not_owned(&stack.name, resource(name), message));
            }
            Ownership::Adopt => {
                let summary = if differs {
                    format!("adopt dashboard {name}: {}", summarize(&diff))
                } else {
                    format!("adopt dashboard {name}: mark it as this stack's")
                };
                plan.changes.push(change(Reason::Adopted, summary, diff));
            }
            Ownership::Ours if !differs && found_marker.as_ref() == Some(&marker) => {}
            Ownership::Ours => {
                let recorded = found_marker.as_ref().map(|m| m.digest.as_str());
                let evidence = evidence(recorded, &marker.digest);
                let summary = if !differs {
                    format!("restore mooring's marker on dashboard {name}")
                } else if evidence.is_drift() {
                    format!("correct dashboard {name}: {}", summarize(&diff))
                } else {
                    format!("update dashboard {name}: {}", summarize(&diff))
                };
                plan.changes.push(change(
                    evidence.reason(Action::Update),
                    evidence.annotate(Action::Update, &summary),
                    diff,
                ));
            }
        }
    }
    plan_prunes(stack, seen, found, budget, plan);
}

/// Undeclared dashboards with this stack's marker are deleted, within the budget shared
/// with alarms and topics. A stack that declares none keeps them unless `allowEmpty`.
fn plan_prunes(
    stack: &Stack,
    seen: &ObservedStack,
    found: &Dashboards,
    budget: &mut PruneBudget,
    plan: &mut Plan,
) {
    let declared: BTreeSet<&str> = stack.dashboards.keys().map(String::as_str).collect();
    let candidates: Vec<(&String, Value)> = found
        .found
        .iter()
        .filter(|(name, _)| !declared.contains(name.as_str()))
        .filter_map(|(name, existing)| {
            let (body, marker) = split_marker(&existing.body);
            let tag = marker.as_ref().map(|m| m.stack.as_str());
            (owner(&stack.name, tag) == Owner::ThisStack).then_some((name, body))
        })
        .collect();
    if declared.is_empty() && !stack.prune.allow_empty {
        budget.keep(
            "dashboard",
            candidates.iter().map(|(n, _)| (*n).clone()).collect(),
        );
        return;
    }
    for (name, body) in candidates {
        if budget.take(name) {
            plan.changes.push(Change {
                stack: stack.name.clone(),
                resource: Resource::Dashboard {
                    region: seen.region.clone(),
                    name: name.clone(),
                },
                reason: Reason::Pruned,
                summary: format!("delete dashboard {name} (it left the desired state)"),
                diff: body_diff(Some(&body), None),
                operation: Operation::Dashboard(DashboardOperation::DeleteDashboard),
                group: dashboard_group(&seen.region, name),
                after: None,
            });
        }
    }
}

/// `arn:<partition>:cloudwatch:<region>:<account>:alarm:` for alarm widgets: the account
/// from the stack's service ARNs, its `spec.account`, a dashboard ARN or an alarm or
/// topic ARN of the region; when nothing read tells it, `ACCOUNT_PLACEHOLDER` (filled in
/// when applied) and the partition by the region's name.
fn alarm_arn_prefix(stack: &Stack, seen: &ObservedStack, found: &Dashboards) -> String {
    let alerting_arns = seen.alerting.iter().flat_map(|a| {
        a.alarms
            .values()
            .map(|alarm| alarm.arn.as_str())
            .chain(a.topic_arn_prefix.as_deref())
    });
    let arns: Vec<&str> = found
        .found
        .values()
        .map(|d| d.arn.as_str())
        .chain(alerting_arns)
        .collect();
    let account = seen
        .account
        .clone()
        .or_else(|| stack.account.clone())
        .or_else(|| {
            arns.iter()
                .find_map(|arn| account_of_arn(arn))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| ACCOUNT_PLACEHOLDER.to_owned());
    let by_region = if seen.region.starts_with("cn-") {
        "aws-cn"
    } else if seen.region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    let partition = arns
        .iter()
        .find_map(|arn| arn.split(':').nth(1).filter(|p| !p.is_empty()))
        .unwrap_or(by_region);
    format!(
        "arn:{partition}:cloudwatch:{}:{account}:alarm:",
        seen.region
    )
}

/// Field-level differences of two bodies: lists of objects (the widgets) are keyed by
/// their index, so a changed title reads `widgets.2.properties.title`, not the whole list.
fn body_diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldDiff> {
    let before = before.map(indexed);
    let after = after.map(indexed);
    field_diffs(before.as_ref(), after.as_ref())
}

fn indexed(value: &Value) -> Value {
    match value {
        Value::Array(items) if items.iter().any(Value::is_object) => Value::Object(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (i.to_string(), indexed(item)))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), indexed(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
#[path = "dashboards_tests.rs"]
mod tests;
