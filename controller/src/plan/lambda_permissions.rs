//! Lambda functions as alert targets: the statement in each function's resource policy
//! that lets SNS (for a topic's `lambda` subscription) or CloudWatch (for an alarm action)
//! invoke it, scoped to that topic's or alarm's ARN.
//!
//! mooring owns only the statements whose id is its own for this stack
//! (`mooring-<stack>-<digest>`): it adds the missing ones, removes those no target wants
//! any more, and never touches another statement (a person's, another stack's), even one
//! that grants the same principal.

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{FunctionArn, Management, Protocol, Stack};

use super::change::{lambda_group, Change, LambdaOperation, Notice, Operation, Plan, Resource};
use super::digest::short_digest;
use super::ownership::{drift_detected, observe_only, owner, Owner};
use super::tags::STACK_TAG;
use crate::events::{FieldDiff, Reason};
use crate::observed::alerting::Alerting;
use crate::observed::lambda::{FunctionPolicy, PermissionStatement};
use crate::observed::ObservedStack;

/// The principal SNS invokes a subscribed function as.
pub(crate) const SNS_PRINCIPAL: &str = "sns.amazonaws.com";
/// The principal CloudWatch invokes an alarm's Lambda action as.
pub(crate) const ALARMS_PRINCIPAL: &str = "lambda.alarms.cloudwatch.amazonaws.com";

/// One statement a target needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wanted {
    function: String,
    principal: &'static str,
    source_arn: String,
    management: Management,
    /// Whether the target itself (the subscription, the alarm's action) is already in
    /// the account: then a missing statement was removed behind mooring's back.
    target_exists: bool,
    /// The topic or alarm is taken over in this pass (`adopt: true`): its statement is
    /// part of that adoption.
    adopting: bool,
    /// What needs it, for messages: "subscription of topic alerts".
    purpose: String,
}

/// This stack's statement id for a principal and source. Deterministic, so that any pass
/// (after a crash, from the Lambda or another process) recognises the statement as this
/// stack's without keeping state anywhere, and a changed source ARN gets a new id. The
/// digest is hex, so `mooring-<stack>-` followed by anything else (another stack whose
/// name extends this one, `mooring-a-b-…` for stack `a`) is never taken for ours.
pub(crate) fn statement_id(stack: &str, principal: &str, source_arn: &str) -> String {
    format!(
        "{}{}",
        own_prefix(stack),
        short_digest(&(principal, source_arn))
    )
}

fn own_prefix(stack: &str) -> String {
    format!("mooring-{stack}-")
}

/// Whether a statement id is one `statement_id` makes for this stack.
fn is_ours(stack: &str, sid: &str) -> bool {
    sid.strip_prefix(&own_prefix(stack)).is_some_and(|digest| {
        digest.len() == 16
            && digest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

/// Plans the statements of every function read for `stack`.
pub(super) fn plan_lambda_permissions(stack: &Stack, seen: &ObservedStack, plan: &mut Plan) {
    // The source ARNs are those of the stack's topics and alarms: without them read,
    // nothing is planned blind.
    if seen.alerting.is_none() {
        return;
    }
    let wanted = wanted_statements(stack, seen);
    for (function, policy) in &seen.lambda_policies {
        let region =
            FunctionArn::parse(function).map_or_else(|| seen.region.clone(), |arn| arn.region);
        let mine: Vec<&Wanted> = wanted.iter().filter(|w| &w.function == function).collect();
        match policy {
            FunctionPolicy::FunctionMissing { why } => {
                // One warning per function, named by the first statement it would carry.
                if let Some(first) = mine.iter().find(|w| w.management != Management::Paused) {
                    let sid = statement_id(&stack.name, first.principal, &first.source_arn);
                    plan.notices.push(Notice::warning(
                        &stack.name,
                        Some(permission(&region, function, &sid)),
                        Reason::FunctionNotFound,
                        format!(
                            "Lambda function {function} ({}) does not exist: nothing is granted on it; create the function or change the alert target ({why})",
                            first.purpose
                        ),
                    ));
                }
            }
            FunctionPolicy::Found(statements) => {
                plan_function(stack, &region, function, &mine, statements, plan);
            }
        }
    }
}

/// The statements of one existing function: add what is missing, remove this stack's
/// statements nothing wants (those of paused targets are kept).
fn plan_function(
    stack: &Stack,
    region: &str,
    function: &str,
    wanted: &[&Wanted],
    found: &[PermissionStatement],
    plan: &mut Plan,
) {
    let group = lambda_group(region, function);
    // The first entry of a statement id wins: a declared target's before one kept as found.
    let mut by_sid: BTreeMap<String, &Wanted> = BTreeMap::new();
    for w in wanted {
        let sid = statement_id(&stack.name, w.principal, &w.source_arn);
        by_sid.entry(sid).or_insert(*w);
    }
    let present: BTreeMap<&str, &PermissionStatement> = found
        .iter()
        .filter(|s| is_ours(&stack.name, &s.sid))
        .map(|s| (s.sid.as_str(), s))
        .collect();
    for (sid, statement) in &present {
        let reason = match by_sid.get(*sid) {
            None => Reason::Pruned,
            Some(w) if w.management == Management::Paused || matches_wanted(statement, w) => {
                continue
            }
            // Our id with other content: put there by hand (AddPermission never edits a
            // statement). Under `observe`, reported below with the add it would need.
            Some(w) if w.management == Management::Observe => continue,
            Some(_) => Reason::DriftCorrected,
        };
        plan.changes.push(Change {
            stack: stack.name.clone(),
            resource: permission(region, function, sid),
            reason,
            summary: "remove the statement from the function's policy".to_owned(),
            diff: statement_diff(Some(statement), None),
            operation: Operation::Lambda(LambdaOperation::RemovePermission),
            group: group.clone(),
            after: None,
        });
    }
    let unchanged: BTreeSet<&str> = present
        .iter()
        .filter(|(sid, s)| by_sid.get(**sid).is_some_and(|w| matches_wanted(s, w)))
        .map(|(sid, _)| *sid)
        .collect();
    for (sid, w) in &by_sid {
        if unchanged.contains(sid.as_str()) || w.management == Management::Paused {
            continue;
        }
        let resource = permission(region, function, sid);
        let summary = format!(
            "allow {} to invoke the function from {}",
            w.principal, w.source_arn
        );
        let diff = statement_diff(present.get(sid.as_str()).copied(), Some(w));
        if w.management == Management::Observe {
            let what = format!(
                "the policy of Lambda function {function} does not allow {} to invoke it ({})",
                w.principal, w.purpose
            );
            plan.notices.push(drift_detected(
                &stack.name,
                resource,
                observe_only(&what),
                diff,
            ));
            continue;
        }
        let reason = match (w.adopting, w.target_exists) {
            (true, _) => Reason::Adopted,
            (false, true) => Reason::DriftCorrected,
            (false, false) => Reason::Created,
        };
        plan.changes.push(Change {
            stack: stack.name.clone(),
            resource,
            reason,
            summary,
            diff,
            operation: Operation::Lambda(LambdaOperation::AddPermission {
                principal: w.principal.to_owned(),
                source_arn: w.source_arn.clone(),
            }),
            group: group.clone(),
            after: None,
        });
    }
}

fn matches_wanted(statement: &PermissionStatement, wanted: &Wanted) -> bool {
    statement.principal.as_deref() == Some(wanted.principal)
        && statement.source_arn.as_deref() == Some(wanted.source_arn.as_str())
}

fn statement_diff(before: Option<&PermissionStatement>, after: Option<&Wanted>) -> Vec<FieldDiff> {
    let principal = |s: Option<&PermissionStatement>| s.and_then(|s| s.principal.clone());
    let source = |s: Option<&PermissionStatement>| s.and_then(|s| s.source_arn.clone());
    vec![
        FieldDiff::new(
            "principal",
            principal(before),
            after.map(|w| w.principal.to_owned()),
        ),
        FieldDiff::new(
            "sourceArn",
            source(before),
            after.map(|w| w.source_arn.clone()),
        ),
    ]
}

fn permission(region: &str, function: &str, sid: &str) -> Resource {
    Resource::LambdaPermission {
        region: region.to_owned(),
        function: function.to_owned(),
        statement_id: sid.to_owned(),
    }
}

/// Every statement the stack's targets need, with the mode of the topic or alarm that
/// names the function.
fn wanted_statements(stack: &Stack, seen: &ObservedStack) -> Vec<Wanted> {
    let unread = Alerting::default();
    let alerting = seen.alerting.as_ref().unwrap_or(&unread);
    let mut wanted = Vec::new();
    // Targets still in the account whose topic or alarm mooring may not change (`observe`,
    // `paused`, not this stack's): their statements stay, even once the file no longer
    // names them. Listed after the declared ones.
    let mut kept = Vec::new();
    for (name, topic) in &stack.topics {
        let observed = alerting.topics.get(name);
        let tag = observed
            .and_then(|t| t.tags.get(STACK_TAG))
            .map(String::as_str);
        let (adopting, management) = match observed.map(|_| owner(&stack.name, tag)) {
            None | Some(Owner::ThisStack) => (false, topic.management),
            Some(Owner::Nobody) if topic.adopt => (true, topic.management),
            // Another stack's or nobody's (the topic planner reports it NotOwned): its
            // statements are left as they are, like a paused topic's.
            Some(_) => (false, Management::Paused),
        };
        if let (Some(found), true) = (observed, management != Management::Full) {
            let lambdas = found.subscriptions.iter().flatten().filter(|s| {
                s.protocol == Protocol::Lambda.as_str() && FunctionArn::parse(&s.endpoint).is_some()
            });
            kept.extend(lambdas.map(|s| as_found(&s.endpoint, SNS_PRINCIPAL, &found.arn)));
        }
        for subscription in &topic.subscriptions {
            let Some(function) = (subscription.protocol == Protocol::Lambda)
                .then(|| FunctionArn::parse(&subscription.endpoint))
                .flatten()
            else {
                continue;
            };
            let source_arn = match observed {
                Some(found) => found.arn.clone(),
                None => own_arn(seen, &function, "sns", name, &alerting.topic_arn_prefix),
            };
            let target_exists =
                observed
                    .and_then(|t| t.subscriptions.as_ref())
                    .is_some_and(|subs| {
                        subs.iter().any(|s| {
                            s.protocol == Protocol::Lambda.as_str()
                                && s.endpoint == subscription.endpoint
                        })
                    });
            wanted.push(Wanted {
                function: subscription.endpoint.clone(),
                principal: SNS_PRINCIPAL,
                source_arn,
                management,
                target_exists,
                adopting,
                purpose: format!("subscription of topic {name}"),
            });
        }
    }
    for (name, alarm) in stack.all_alarms() {
        let observed = alerting.alarms.get(name);
        // Ours by its marker (or tag); an existing alarm with neither is this stack's only
        // through adoption; left alone (NotOwned) otherwise, its statements with it.
        let marked = observed
            .and_then(|a| a.marker.as_ref())
            .map(|m| m.stack.as_str());
        let tag = observed
            .and_then(|a| a.tags.as_ref())
            .and_then(|t| t.get(STACK_TAG));
        let found_owner = marked.or(tag.map(String::as_str));
        let (adopting, management) = match observed.map(|_| owner(&stack.name, found_owner)) {
            None | Some(Owner::ThisStack) => (false, alarm.management),
            Some(Owner::Nobody) if alarm.adopt => (true, alarm.management),
            Some(_) => (false, Management::Paused),
        };
        if let (Some(found), true) = (observed, management != Management::Full) {
            let spec = &found.spec;
            let actions = spec
                .alarm_actions
                .iter()
                .chain(&spec.ok_actions)
                .chain(&spec.insufficient_data_actions);
            let lambdas = actions.filter(|a| FunctionArn::parse(a).is_some());
            kept.extend(lambdas.map(|a| as_found(a, ALARMS_PRINCIPAL, &found.arn)));
        }
        let targets: BTreeSet<&String> = alarm
            .notify
            .iter()
            .chain(&alarm.ok_notify)
            .chain(&alarm.insufficient_data_notify)
            .collect();
        for target in targets {
            let Some(function) = FunctionArn::parse(target) else {
                continue;
            };
            let source_arn = match observed {
                Some(found) => found.arn.clone(),
                None => own_arn(
                    seen,
                    &function,
                    "cloudwatch",
                    &format!("alarm:{name}"),
                    &None,
                ),
            };
            let target_exists = observed.is_some_and(|found| {
                let spec = &found.spec;
                spec.alarm_actions
                    .iter()
                    .chain(&spec.ok_actions)
                    .chain(&spec.insufficient_data_actions)
                    .any(|a| a == target)
            });
            wanted.push(Wanted {
                function: target.clone(),
                principal: ALARMS_PRINCIPAL,
                source_arn,
                management,
                target_exists,
                adopting,
                purpose: format!("action of alarm {name}"),
            });
        }
    }
    wanted.extend(kept);
    wanted
}

/// A statement kept as it is found (see `wanted_statements`).
fn as_found(function: &str, principal: &'static str, source_arn: &str) -> Wanted {
    Wanted {
        function: function.to_owned(),
        principal,
        source_arn: source_arn.to_owned(),
        management: Management::Paused,
        target_exists: true,
        adopting: false,
        purpose: "kept as found".to_owned(),
    }
}

/// The ARN of a topic or alarm not read yet (it is created in this pass): the region's
/// SNS prefix when known, else built from the account the observation saw, else the
/// function's own account (validation holds it to the stack's when the stack declares one).
fn own_arn(
    seen: &ObservedStack,
    function: &FunctionArn,
    service: &str,
    resource: &str,
    sns_prefix: &Option<String>,
) -> String {
    if let Some(prefix) = sns_prefix {
        return format!("{prefix}{resource}");
    }
    let account = seen.account.as_deref().unwrap_or(&function.account);
    format!(
        "arn:{}:{service}:{}:{account}:{resource}",
        function.partition, seen.region
    )
}

/// A Lambda subscription waits for its function's statements: SNS may deliver the first
/// message as soon as it subscribes, and the applier runs awaited groups first.
pub(super) fn order_subscriptions(plan: &mut Plan, start: usize) {
    let granted: BTreeSet<String> = plan.changes[start..]
        .iter()
        .filter_map(|c| match (&c.resource, &c.operation) {
            (
                Resource::LambdaPermission {
                    region, function, ..
                },
                Operation::Lambda(LambdaOperation::AddPermission { .. }),
            ) => Some(lambda_group(region, function)),
            _ => None,
        })
        .collect();
    for change in &mut plan.changes[start..] {
        if let (
            Resource::Subscription {
                region,
                protocol,
                endpoint,
                ..
            },
            Operation::Topic(super::change::TopicOperation::Subscribe { .. }),
        ) = (&change.resource, &change.operation)
        {
            let group = lambda_group(region, endpoint);
            if protocol == Protocol::Lambda.as_str()
                && granted.contains(&group)
                && change.after.is_none()
            {
                change.after = Some(group);
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/lambda_permissions.rs"]
mod tests;
