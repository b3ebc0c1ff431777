//! Property tests: the parser and the validator never panic, whatever the input — arbitrary
//! bytes from a file, arbitrary text, and structurally plausible documents (trees of the
//! format's own keys with random values, so that pass 2 runs too). Every diagnostic points
//! inside its file. Default 64 cases each (a second or so); `PROPTEST_CASES=5000` for more.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

/// Loads must end in a value or diagnostics, never a panic; diagnostics point inside the file.
fn check(result: Result<desired_state::DesiredState, desired_state::Diagnostics>, text: &str) {
    if let Err(diagnostics) = result {
        assert!(!diagnostics.is_empty());
        let lines = text.lines().count().max(1);
        for d in diagnostics.iter() {
            assert!(
                d.line >= 1 && d.line <= lines + 1,
                "{d} (file has {lines} lines)"
            );
            assert!(d.column >= 1, "{d}");
            assert!(!d.message.is_empty(), "{d}");
        }
        let _ = diagnostics.to_string();
    }
}

/// A YAML tree: mappings with keys of the format, lists, scalars.
#[derive(Debug, Clone)]
enum Node {
    Scalar(String),
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
}

const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "description",
    "spec",
    "account",
    "region",
    "timezone",
    "schedules",
    "awake",
    "asleep",
    "holidays",
    "override",
    "state",
    "until",
    "sleepAt",
    "wakeAt",
    "topics",
    "displayName",
    "kmsKeyId",
    "deliveryPolicy",
    "tags",
    "subscriptions",
    "protocol",
    "endpoint",
    "filterPolicy",
    "rawMessageDelivery",
    "allowInsecureHttp",
    "services",
    "cluster",
    "desiredCount",
    "autoscaling",
    "min",
    "max",
    "suspended",
    "dynamicScalingIn",
    "targetTracking",
    "metric",
    "target",
    "scaleInCooldown",
    "customMetric",
    "namespace",
    "dimensions",
    "statistic",
    "stepScaling",
    "adjustmentType",
    "cooldown",
    "steps",
    "lower",
    "upper",
    "adjustment",
    "alarm",
    "scheduledActions",
    "schedule",
    "start",
    "end",
    "offHours",
    "alarms",
    "period",
    "evaluationPeriods",
    "datapointsToAlarm",
    "threshold",
    "comparison",
    "treatMissingData",
    "notify",
    "okNotify",
    "metrics",
    "expression",
    "rule",
    "management",
    "adopt",
    "events",
    "types",
    "foldWindow",
    "prune",
    "maxDeletionsPerPass",
    "allowEmpty",
    "alerts",
    "office",
    "cpu",
    "x",
    "",
];

const SCALARS: &[&str] = &[
    "mooring/v1",
    "Stack",
    "0",
    "1",
    "-1",
    "4",
    "70",
    "2.5",
    "1e999",
    "99999999999999999999",
    "true",
    "false",
    "~",
    "null",
    "\"\"",
    "''",
    "300s",
    "1h",
    "0s",
    "5m",
    "60",
    "\"123456789012\"",
    "123456789012",
    "us-east-1",
    "Europe/Berlin",
    "Mars/Olympus",
    "\"Mon-Fri 07:00-20:00\"",
    "\"Fri 22:00-02:00\"",
    "\"Mon-Fri 07:00-25:00\"",
    "\"0 20 * * Mon-Fri\"",
    "\"0 7 * *\"",
    "\"2026-12-24\"",
    "\"12-25\"",
    "\"2026-02-30\"",
    "\"2026-03-02T22:00:00+01:00\"",
    "alerts",
    "office",
    "email",
    "https",
    "http",
    "sqs",
    "\"http://h.example.com\"",
    "\"https://h.example.com\"",
    "ops@example.com",
    "\"arn:aws:sqs:us-east-1:123456789012:q\"",
    "\">\"",
    "\"<=\"",
    "Average",
    "p99",
    "CPUUtilization",
    "AWS/ECS",
    "AWS/RDS",
    "ECSServiceAverageCPUUtilization",
    "full",
    "observe",
    "paused",
    "Warning",
    "\"cron(0 7 ? * MON-FRI *)\"",
    "\"rate(5 minutes)\"",
    "\"a AND b\"",
    "\"ALARM(x)\"",
    "\"100 * e / r\"",
    "é",
    "\"\\u0000\"",
    "[]",
    "{}",
    "&a x",
    "*a",
    "\"\\t\"",
];

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        4 => proptest::sample::select(SCALARS).prop_map(|s| Node::Scalar(s.to_owned())),
        1 => "[a-zA-Z0-9 :./-]{0,12}".prop_map(Node::Scalar),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            3 => proptest::collection::vec(
                (proptest::sample::select(KEYS).prop_map(str::to_owned), inner.clone()),
                0..6
            )
            .prop_map(Node::Map),
            1 => proptest::collection::vec(inner, 0..4).prop_map(Node::List),
        ]
    })
}

/// Block-style YAML; scalars as written in the pools (some are deliberately broken).
fn emit(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Node::Scalar(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Node::Map(entries) if entries.is_empty() => out.push_str("{}\n"),
        Node::List(items) if items.is_empty() => out.push_str("[]\n"),
        Node::Map(entries) => {
            out.push('\n');
            for (key, value) in entries {
                out.push_str(&format!("{pad}{key}: "));
                emit(value, indent + 2, out);
            }
        }
        Node::List(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&format!("{pad}- "));
                emit(item, indent + 2, out);
            }
        }
    }
}

/// A document that usually gets past the header: the right apiVersion and kind, a name,
/// and a generated spec (sometimes other top-level keys too).
fn document() -> impl Strategy<Value = String> {
    (node(), any::<bool>(), proptest::option::of(node())).prop_map(|(spec, header, extra)| {
        let mut out = String::new();
        if header {
            out.push_str("apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: prop\n");
        }
        out.push_str("spec: ");
        emit(&spec, 2, &mut out);
        if let Some(extra) = extra {
            out.push_str("extra: ");
            emit(&extra, 2, &mut out);
        }
        out
    })
}

/// A document of the format's real sections with random values in them: services, topics,
/// schedules and alarms, so that pass 2's checks meet odd values.
fn sections() -> impl Strategy<Value = String> {
    let scalar = || proptest::sample::select(SCALARS);
    (
        scalar(), scalar(), scalar(), scalar(), scalar(), scalar(), scalar(), scalar(),
        scalar(), scalar(), scalar(), scalar(),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, i, j, k, l)| {
            format!(
                "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: prop }}\nspec:\n  timezone: {a}\n  schedules:\n    office: {{ awake: [{b}], holidays: [{c}] }}\n  topics:\n    alerts:\n      subscriptions:\n        - {{ protocol: {d}, endpoint: {e} }}\n  services:\n    - cluster: c\n      name: s\n      desiredCount: {f}\n      autoscaling: {{ min: {g}, max: {h}, targetTracking: {{ cpu: {{ metric: ECSServiceAverageCPUUtilization, target: {i} }} }} }}\n      offHours: {{ schedule: office, desiredCount: {j} }}\n  alarms:\n    db-cpu: {{ namespace: AWS/RDS, metric: CPUUtilization, statistic: Average, period: {k}, evaluationPeriods: 2, threshold: {l}, comparison: \">\", notify: [alerts] }}\n"
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_in_a_file_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = std::env::temp_dir().join(format!("mooring-prop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bytes.yaml");
        std::fs::write(&file, &bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        check(desired_state::load(&[&file]), &text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}|[ -~\\n\\t]{0,600}") {
        check(desired_state::parse_sources(&[(PathBuf::from("t.yaml"), text.clone())]), &text);
    }

    #[test]
    fn plausible_documents_never_panic(text in document()) {
        check(desired_state::parse_sources(&[(PathBuf::from("d.yaml"), text.clone())]), &text);
    }

    #[test]
    fn real_sections_with_odd_values_never_panic(text in sections()) {
        check(desired_state::parse_sources(&[(PathBuf::from("s.yaml"), text.clone())]), &text);
    }
}

#[test]
fn a_ten_megabyte_file_is_refused_quickly_without_reading_it_all() {
    let dir = std::env::temp_dir().join(format!("mooring-10mb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("huge.yaml");
    let mut text = String::from(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: { name: huge }\nspec:\n  services:\n",
    );
    while text.len() < 10 * 1024 * 1024 {
        text.push_str("    - { cluster: c, name: s, desiredCount: 1 }\n");
    }
    std::fs::write(&file, &text).unwrap();
    let started = std::time::Instant::now();
    let diagnostics = desired_state::load(&[Path::new(&file)]).unwrap_err();
    let took = started.elapsed();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        diagnostics.to_string().contains("file is too large"),
        "{diagnostics}"
    );
    assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
}
