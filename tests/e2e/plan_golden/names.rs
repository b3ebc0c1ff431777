//! Each example runs under a unique token in front of its names, so that its account is
//! fresh on every run and meets no other test (see the module comment of mod.rs).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::fixtures::unique;

pub(crate) fn stem(example: &Path) -> String {
    example
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Lowercase letters and digits only: a valid start of every name kind (a stack name is a
/// DNS label), and no separator, so the alarm read prefix is `<token>-`.
pub(crate) fn token() -> String {
    unique("gold").replace('-', "")
}

/// The example with `<token>-` in front of its stack, cluster, topic and alarm names and
/// of every reference to them (notify lists, the events topic, step-scaling alarms,
/// composite rules). Written back as JSON, which is YAML.
pub(crate) fn with_token(yaml: &str, token: &str) -> String {
    let mut doc: Value =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("example is not YAML: {e}"));
    let prefixed = |name: &str| format!("{token}-{name}");
    let names = |map: &Value| -> Vec<String> {
        map.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let spec = &doc["spec"];
    let topics: BTreeSet<String> = names(&spec["topics"]).into_iter().collect();
    let alarms: BTreeSet<String> = names(&spec["alarms"])
        .into_iter()
        .chain(
            spec["services"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|service| names(&service["alarms"])),
        )
        .collect();

    // `get_mut`, not `[]`: indexing a Value mutably inserts the keys it does not find.
    let rename_keys = |map: Option<&mut Value>| {
        if let Some(map) = map.and_then(Value::as_object_mut) {
            let old = std::mem::take(map);
            for (name, value) in old {
                map.insert(prefixed(&name), value);
            }
        }
    };
    let rename = |value: Option<&mut Value>, known: &BTreeSet<String>| {
        if let Some(value) = value {
            if let Some(name) = value.as_str().filter(|n| known.contains(*n)) {
                *value = Value::String(prefixed(name));
            }
        }
    };
    let rename_alarm_refs = |alarms_map: Option<&mut Value>| {
        let Some(map) = alarms_map.and_then(Value::as_object_mut) else {
            return;
        };
        for alarm in map.values_mut() {
            for list in ["notify", "okNotify", "insufficientDataNotify"] {
                let targets = alarm.get_mut(list).and_then(Value::as_array_mut);
                for target in targets.into_iter().flatten() {
                    rename(Some(target), &topics);
                }
            }
            if let Some(Value::String(rule)) = alarm.get_mut("rule") {
                for name in &alarms {
                    *rule = rule.replace(&format!("({name})"), &format!("({})", prefixed(name)));
                }
            }
        }
    };

    if let Some(Value::String(name)) = doc.pointer_mut("/metadata/name") {
        *name = prefixed(name);
    }
    let Some(spec) = doc.get_mut("spec") else {
        panic!("example has no spec");
    };
    rename_keys(spec.get_mut("topics"));
    rename_keys(spec.get_mut("clusters"));
    rename(spec.pointer_mut("/events/topic"), &topics);
    rename_alarm_refs(spec.get_mut("alarms"));
    rename_keys(spec.get_mut("alarms"));
    let services = spec.get_mut("services").and_then(Value::as_array_mut);
    for service in services.into_iter().flatten() {
        if let Some(Value::String(cluster)) = service.get_mut("cluster") {
            *cluster = prefixed(cluster);
        }
        rename_alarm_refs(service.get_mut("alarms"));
        rename_keys(service.get_mut("alarms"));
        let policies = service
            .pointer_mut("/autoscaling/stepScaling")
            .and_then(Value::as_object_mut);
        for policy in policies.into_iter().flat_map(|p| p.values_mut()) {
            rename(policy.get_mut("alarm"), &alarms);
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| panic!("{e}"))
}
