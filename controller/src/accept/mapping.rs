//! From a plan to file edits, pure: which changes revert drift, and for each field of
//! their diff, where the file declares it and how the observed value is written there.
//! The diff's `before` side is what the account holds (`plan/diff.rs`), so it is the
//! value to keep.

use std::collections::BTreeMap;
use std::path::PathBuf;

use desired_state::edit::{Document, Edit, Value, YamlPath};
use desired_state::{spelling, DesiredState, Stack};
use serde_json::Value as Json;

use crate::events::{FieldDiff, Reason};
use crate::plan::{
    AlarmOperation, AutoscalingOperation, Change, EcsOperation, Notice, Operation, Resource,
    TopicOperation,
};

/// What `accept` makes of a plan.
#[derive(Debug, Default)]
pub(crate) struct Accepting {
    /// Edits by file, in plan order.
    pub(crate) edits: BTreeMap<PathBuf, Vec<Edit>>,
    /// `resource: field value` lines, for the summary.
    pub(crate) accepted: Vec<Accepted>,
    /// Drift left alone, and why.
    pub(crate) not_accepted: Vec<(String, String)>,
    /// The apply groups of the accepted changes: their records are written afterwards.
    pub(crate) groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Accepted {
    pub(crate) file: PathBuf,
    pub(crate) resource: String,
}

/// `--resource`: the resource as `plan` prints it (`alarm api-5xx`), or that without
/// its kind (`api-5xx`, `prod/api`).
pub(crate) fn names(resource: &Resource, wanted: &str) -> bool {
    let shown = resource.to_string();
    shown == wanted
        || shown
            .split_once(' ')
            .is_some_and(|(_, name)| name == wanted)
}

/// Whether a change is drift `accept` would consider at all (for `--resource`'s list of
/// candidates): anything but the planner's own bookkeeping and schedules.
pub(crate) fn is_candidate(change: &Change) -> bool {
    matches!(
        change.reason,
        Reason::DriftCorrected | Reason::Updated | Reason::DesiredChanged | Reason::Pruned
    ) && !is_record(change)
}

/// A change that only rewrites mooring's own records (tags, the alarm marker): it follows
/// the file, there is nothing to accept in it.
pub(crate) fn is_record(change: &Change) -> bool {
    match &change.operation {
        Operation::Ecs(op) => !matches!(
            op,
            EcsOperation::SetDesiredCount { .. } | EcsOperation::SetContainerInsights { .. }
        ),
        Operation::Topic(TopicOperation::TagTopic { .. }) => true,
        Operation::Alarm(AlarmOperation::TagAlarm { .. }) => true,
        // A Lambda permission follows the file's alert targets: no field of the file to
        // accept a removed statement into.
        Operation::Lambda(_) => true,
        Operation::Alarm(AlarmOperation::PutAlarm { .. }) => {
            change.diff.iter().all(|d| d.field == "description")
        }
        _ => false,
    }
}

pub(crate) fn accepting(
    desired: &DesiredState,
    documents: &BTreeMap<PathBuf, Document>,
    changes: &[&Change],
    notices: &[Notice],
    named: &[String],
) -> Accepting {
    let mut out = Accepting::default();
    let is_named = |r: &Resource| named.iter().any(|n| names(r, n));
    for change in changes {
        if is_record(change) || (!named.is_empty() && !is_named(&change.resource)) {
            continue;
        }
        let shown = change.resource.to_string();
        let by_name = is_named(&change.resource);
        match change.reason {
            Reason::DriftCorrected | Reason::Updated => {}
            Reason::DesiredChanged | Reason::Pruned if by_name => {}
            Reason::DesiredChanged => {
                out.not_accepted.push((shown, "the file changed since the last apply and the account still holds the old value: accepting would undo the edit (name it with --resource to accept it anyway)".into()));
                continue;
            }
            Reason::Pruned if matches!(change.resource, Resource::Subscription { .. }) => {
                out.not_accepted.push((shown, "no record tells whether it was added by hand or removed from the file (name it with --resource to accept it)".into()));
                continue;
            }
            Reason::Created => {
                out.not_accepted.push((shown, "declared but missing in the account (deleted by hand?): remove it from the file by hand if that was meant".into()));
                continue;
            }
            _ => continue,
        }
        let Some(stack) = desired.stacks.iter().find(|s| s.name == change.stack) else {
            continue;
        };
        let Some(document) = documents.get(&stack.source) else {
            out.not_accepted
                .push((shown, "its file was not read".into()));
            continue;
        };
        let mut found = Found::default();
        locate(stack, document, change, &mut found);
        if !found.edits.is_empty() {
            out.edits
                .entry(stack.source.clone())
                .or_default()
                .extend(found.edits);
            out.accepted.push(Accepted {
                file: stack.source.clone(),
                resource: shown.clone(),
            });
            out.groups.push(change.group.clone());
        }
        for why in found.refused {
            out.not_accepted.push((shown.clone(), why));
        }
    }
    for notice in notices {
        if notice.reason != Reason::DriftDetected {
            continue;
        }
        if let Some(resource) = &notice.resource {
            if named.is_empty() || is_named(resource) {
                out.not_accepted.push((
                    resource.to_string(),
                    "in `observe` mode: mooring does not correct it, so there is nothing to accept"
                        .into(),
                ));
            }
        }
    }
    out
}

#[derive(Default)]
struct Found {
    edits: Vec<Edit>,
    refused: Vec<String>,
}

impl Found {
    fn refuse(&mut self, why: impl Into<String>) {
        self.refused.push(why.into());
    }
}

fn service_path(cluster: &str, service: &str) -> YamlPath {
    YamlPath::new()
        .key("spec")
        .key("services")
        .item_where(&[("cluster", cluster), ("name", service)])
}

fn locate(stack: &Stack, document: &Document, change: &Change, found: &mut Found) {
    let before = |field: &str| {
        change
            .diff
            .iter()
            .find(|d| d.field == field)
            .map(|d| &d.before)
    };
    match (&change.operation, &change.resource) {
        (
            Operation::Ecs(EcsOperation::SetDesiredCount { .. }),
            Resource::EcsService {
                cluster, service, ..
            },
        ) => {
            let at = service_path(cluster, service);
            for diff in &change.diff {
                put_integer(found, &at, "desiredCount", diff);
            }
        }
        (
            Operation::Autoscaling(AutoscalingOperation::RegisterScalableTarget { .. }),
            Resource::ScalableTarget {
                cluster, service, ..
            },
        ) => {
            if before("min").is_some_and(Json::is_null) {
                return found.refuse("the scalable target is missing in the account");
            }
            let at = service_path(cluster, service).key("autoscaling");
            let suspended = at.clone().key("suspended");
            // Flags turned on by hand where the file writes no `suspended`: one new key.
            let mut new_flags = Vec::new();
            for diff in &change.diff {
                match diff.field.as_str() {
                    "min" | "max" => put_integer(found, &at, &diff.field, diff),
                    field => match field.strip_prefix("suspended.") {
                        Some(flag) if document.has(&suspended) => {
                            let key = flag.trim_end_matches("Suspended");
                            put_flag(document, found, &suspended, key, diff);
                        }
                        Some(flag) if diff.before == Json::Bool(true) => new_flags.push((
                            flag.trim_end_matches("Suspended").to_owned(),
                            Value::Plain("true".into()),
                        )),
                        Some(_) => {}
                        None => found.refuse(format!("{field}: not a field accept writes")),
                    },
                }
            }
            if !new_flags.is_empty() {
                put(found, &at, "suspended", Value::Mapping(new_flags));
            }
        }
        (
            Operation::Autoscaling(AutoscalingOperation::PutScalingPolicy { policy }),
            Resource::ScalingPolicy {
                cluster,
                service,
                policy: name,
                ..
            },
        ) => {
            let target_tracking = matches!(
                policy,
                crate::observed::autoscaling::ScalingPolicy::TargetTracking(_)
            );
            let before_type = before("policyType");
            if !target_tracking || before_type.is_some() {
                return found.refuse(
                    "only a target-tracking policy's target, cooldowns and disableScaleIn are accepted: edit this one by hand",
                );
            }
            let at = service_path(cluster, service)
                .key("autoscaling")
                .key("targetTracking")
                .key(name.clone());
            for diff in &change.diff {
                match diff.field.as_str() {
                    "targetValue" => put_number(found, &at, "target", diff),
                    "scaleInCooldown" | "scaleOutCooldown" => {
                        put_duration(document, found, &at, &diff.field, diff)
                    }
                    "disableScaleIn" => put_flag(document, found, &at, "disableScaleIn", diff),
                    field => found.refuse(format!("{field}: edit the policy's metric by hand")),
                }
            }
        }
        (Operation::Alarm(AlarmOperation::PutAlarm { .. }), Resource::Alarm { name, .. }) => {
            let at = alarm_path(stack, name);
            for diff in &change.diff {
                let field = diff.field.as_str();
                match field {
                    "threshold" => put_number(found, &at, field, diff),
                    "evaluationPeriods" => put_integer(found, &at, field, diff),
                    "datapointsToAlarm" => put_datapoints(document, found, &at, change, diff),
                    "period" => put_duration(document, found, &at, field, diff),
                    "comparison" => put_comparison(document, found, &at, diff),
                    "treatMissingData" => put_text(document, found, &at, field, diff, "missing"),
                    "statistic" => put_text(document, found, &at, field, diff, ""),
                    "description" => {}
                    _ => found.refuse(format!(
                        "{field}: not a field accept writes (edit it by hand)"
                    )),
                }
            }
        }
        (
            Operation::Topic(TopicOperation::Unsubscribe { .. }),
            Resource::Subscription {
                topic,
                protocol,
                endpoint,
                ..
            },
        ) => {
            let shown = crate::redact::endpoint(endpoint);
            if shown != *endpoint {
                return found.refuse(format!(
                    "its endpoint carries a secret (shown as {shown}): accept does not write secrets into a file that is reviewed and kept in git; add `{{ protocol: {protocol}, endpoint: … }}` under topic {topic}'s subscriptions by hand if that is where it belongs"
                ));
            }
            if before("settings.filterPolicy").is_some_and(|v| !v.is_null())
                || change
                    .diff
                    .iter()
                    .any(|d| d.field.starts_with("settings.filterPolicy"))
            {
                return found.refuse("it has a filter policy: add it by hand");
            }
            let mut item = vec![
                ("protocol".to_owned(), Value::Text(protocol.clone())),
                ("endpoint".to_owned(), Value::Text(endpoint.clone())),
            ];
            if before("settings.rawMessageDelivery") == Some(&Json::Bool(true)) {
                item.push(("rawMessageDelivery".to_owned(), Value::Plain("true".into())));
            }
            found.edits.push(Edit::Append {
                at: YamlPath::new().key("spec").key("topics").key(topic.clone()),
                key: "subscriptions".into(),
                items: vec![item],
            });
        }
        (
            Operation::Ecs(EcsOperation::SetContainerInsights { .. }),
            Resource::EcsCluster { cluster, .. },
        ) => {
            // The value ECS reported, if the format can say it.
            let kept = before("settings.containerInsights")
                .and_then(Json::as_str)
                .filter(|value| desired_state::ContainerInsights::parse(value).is_some());
            let at = YamlPath::new()
                .key("spec")
                .key("clusters")
                .key(cluster.clone());
            match kept {
                Some(value) => put(found, &at, "containerInsights", Value::Text(value.into())),
                None => found.refuse("containerInsights: not a value the format knows"),
            }
        }
        (Operation::Topic(TopicOperation::SetTopicAttribute { attribute, .. }), _)
        | (Operation::Topic(TopicOperation::SetSubscriptionAttribute { attribute, .. }), _) => {
            found.refuse(format!(
                "{attribute}: not a setting accept writes (edit it by hand)"
            ))
        }
        (Operation::Autoscaling(AutoscalingOperation::DeleteScalingPolicy), _)
        | (Operation::Autoscaling(AutoscalingOperation::DeleteScheduledAction), _) => {
            found.refuse("added by hand: declare it in the file by hand if it should stay")
        }
        (Operation::Autoscaling(AutoscalingOperation::PutScheduledAction { .. }), _) => {
            found.refuse("scheduled actions are not accepted: edit it by hand")
        }
        (Operation::Autoscaling(AutoscalingOperation::DeregisterScalableTarget), _) => {
            found.refuse("registered by hand: declare its autoscaling by hand if it should stay")
        }
        _ => found.refuse("not a kind of drift accept writes back"),
    }
}

/// Where an alarm is declared: under the service that holds it, else under `spec.alarms`.
fn alarm_path(stack: &Stack, name: &str) -> YamlPath {
    match stack.services.iter().find(|s| s.alarms.contains_key(name)) {
        Some(service) => service_path(&service.cluster, &service.name)
            .key("alarms")
            .key(name),
        None => YamlPath::new().key("spec").key("alarms").key(name),
    }
}

fn put(found: &mut Found, at: &YamlPath, key: &str, value: Value) {
    found.edits.push(Edit::Put {
        at: at.clone(),
        key: key.to_owned(),
        value,
    });
}

/// Whether the file writes `key` under `at` (an omitted key means the format's default).
fn written(document: &Document, at: &YamlPath, key: &str) -> bool {
    document.has(&at.clone().key(key))
}

fn put_integer(found: &mut Found, at: &YamlPath, key: &str, diff: &FieldDiff) {
    match diff.before.as_u64() {
        Some(n) => put(found, at, key, Value::Plain(n.to_string())),
        None => found.refuse(format!("{key}: not set in the account")),
    }
}

fn put_number(found: &mut Found, at: &YamlPath, key: &str, diff: &FieldDiff) {
    match diff.before.as_f64() {
        Some(n) => put(found, at, key, Value::Plain(spelling::number(n))),
        None => found.refuse(format!("{key}: not set in the account")),
    }
}

fn put_duration(
    document: &Document,
    found: &mut Found,
    at: &YamlPath,
    key: &str,
    diff: &FieldDiff,
) {
    match diff.before.as_u64() {
        Some(secs) => put(found, at, key, Value::Text(spelling::duration(secs))),
        None if diff.before.is_null() && written(document, at, key) => found.refuse(format!(
            "{key}: not set in the account: remove it from the file by hand"
        )),
        None => {}
    }
}

/// A boolean whose default is `false`: an omitted key stays omitted when the account says
/// `false`.
fn put_flag(document: &Document, found: &mut Found, at: &YamlPath, key: &str, diff: &FieldDiff) {
    let Some(value) = diff.before.as_bool() else {
        return found.refuse(format!("{key}: not set in the account"));
    };
    if !value && !written(document, at, key) {
        return;
    }
    if !document.has(at) {
        return found.refuse(format!(
            "{key}: add `{}: {{ {key}: {value} }}` by hand",
            last_key(at)
        ));
    }
    put(found, at, key, Value::Plain(value.to_string()));
}

fn last_key(path: &YamlPath) -> String {
    match path.0.last() {
        Some(desired_state::edit::Step::Key(key)) => key.clone(),
        _ => String::new(),
    }
}

/// A string with a default (`""`: none): an omitted key stays omitted at its default.
fn put_text(
    document: &Document,
    found: &mut Found,
    at: &YamlPath,
    key: &str,
    diff: &FieldDiff,
    default: &str,
) {
    match diff.before.as_str() {
        Some(text) if text == default && !written(document, at, key) => {}
        Some(text) => put(found, at, key, Value::Text(text.to_owned())),
        None => found.refuse(format!("{key}: not set in the account")),
    }
}

/// `datapointsToAlarm` defaults to `evaluationPeriods` (the new one, if that changes too).
fn put_datapoints(
    document: &Document,
    found: &mut Found,
    at: &YamlPath,
    change: &Change,
    diff: &FieldDiff,
) {
    let periods = change
        .diff
        .iter()
        .find(|d| d.field == "evaluationPeriods")
        .and_then(|d| d.before.as_u64())
        .or_else(|| {
            document
                .scalar(&at.clone().key("evaluationPeriods"))
                .and_then(|s| s.parse().ok())
        });
    if diff.before.as_u64().is_some()
        && diff.before.as_u64() == periods
        && !written(document, at, "datapointsToAlarm")
    {
        return;
    }
    put_integer(found, at, "datapointsToAlarm", diff);
}

/// `>` as the format writes it, or the AWS name where the file already uses AWS names.
fn put_comparison(document: &Document, found: &mut Found, at: &YamlPath, diff: &FieldDiff) {
    let parsed: Option<desired_state::Comparison> =
        serde_json::from_value(diff.before.clone()).ok();
    let Some(comparison) = parsed else {
        return found.refuse("comparison: not one the format knows");
    };
    let aws_names = document
        .scalar(&at.clone().key("comparison"))
        .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_alphabetic()));
    let text = if aws_names {
        comparison.as_aws_str()
    } else {
        spelling::comparison(comparison)
    };
    put(found, at, "comparison", Value::Text(text.to_owned()));
}
