//! Lambda alert targets against the emulator: a `lambda` subscription and an alarm action
//! on a function make mooring add a statement to the function's resource policy (SNS and
//! CloudWatch may invoke it, from that topic or alarm only); a converged account costs
//! GetPolicy only; a statement removed by hand is put back; a target that leaves the file
//! takes mooring's statement with it and nobody else's; a function that does not exist is
//! a Warning. Each calls a Lambda API the IAM policy grants (deploy/iam/).

use std::io::{Read, Write};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::Runtime;
use serde_json::Value;

use crate::fixtures::*;
use crate::reports::*;

/// A region of its own: no other test's functions, topics or alarms.
const REGION: &str = "sa-east-1";

/// The smallest valid zip archive (an empty one: its end-of-central-directory record).
/// Creating a function needs code; nothing here invokes it.
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

const ROLE: &str = "mooring-test-lambda";

pub async fn lambda(region: &str) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&sdk_config(region).await)
}

/// Creates function `name` in `region` (as the app's deploy pipeline would; mooring never
/// creates functions) and returns its ARN. A function that exists already is kept.
pub async fn create_function(region: &str, name: &str) -> String {
    create_role();
    let client = lambda(region).await;
    let result = client
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(format!("arn:aws:iam::{ACCOUNT}:role/{ROLE}"))
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await;
    if let Err(e) = result {
        let text = format!("{e:?}");
        assert!(
            text.contains("ResourceConflict"),
            "creating function {name}: {text}"
        );
    }
    format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}")
}

/// Creates every Lambda function the alert targets of `desired` name (subscriptions and
/// alarm actions), as the app's deploy pipeline would have.
pub async fn create_declared_functions(desired: &desired_state::DesiredState) {
    for (region, name) in declared_functions(desired) {
        create_function(&region, &name).await;
    }
}

/// (region, name) of every function the alert targets of `desired` name.
fn declared_functions(desired: &desired_state::DesiredState) -> Vec<(String, String)> {
    let mut targets: Vec<String> = Vec::new();
    for stack in &desired.stacks {
        for topic in stack.topics.values() {
            for subscription in &topic.subscriptions {
                if subscription.protocol == desired_state::Protocol::Lambda {
                    targets.push(subscription.endpoint.clone());
                }
            }
        }
        for (_, alarm) in stack.all_alarms() {
            targets.extend(alarm.notify.iter().cloned());
            targets.extend(alarm.ok_notify.iter().cloned());
            targets.extend(alarm.insufficient_data_notify.iter().cloned());
        }
    }
    let mut functions: Vec<(String, String)> = targets
        .iter()
        .filter_map(|t| desired_state::FunctionArn::parse(t))
        .map(|arn| (arn.region, arn.name))
        .collect();
    functions.sort();
    functions.dedup();
    functions
}

/// The role moto wants a function's role ARN to name. IAM's SDK crate is not a
/// dependency for this one call: a query-protocol POST, routed by the credential scope.
fn create_role() {
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={ROLE}&AssumeRolePolicyDocument={}",
        percent_encode(document)
    );
    let address = endpoint()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&address)
        .unwrap_or_else(|e| panic!("connecting to the emulator at {address}: {e}"));
    let _ = stream.set_read_timeout(Some(WAIT));
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("CreateRole: {e}"));
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 200") || response.contains("EntityAlreadyExists"),
        "CreateRole: {response}"
    );
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The function's statements as (sid, principal, source ARN); empty without a policy.
async fn statements(function: &str) -> Vec<(String, String, String)> {
    let client = lambda(REGION).await;
    let Ok(output) = client.get_policy().function_name(function).send().await else {
        return Vec::new();
    };
    let policy: Value = serde_json::from_str(output.policy().unwrap_or("{}"))
        .unwrap_or_else(|e| panic!("policy is not JSON: {e}"));
    let mut found: Vec<(String, String, String)> = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let principal = s["Principal"]["Service"]
                .as_str()
                .or_else(|| s["Principal"].as_str())
                .unwrap_or_default();
            let source = s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .unwrap_or_default();
            (
                s["Sid"].as_str().unwrap_or_default().to_owned(),
                principal.to_owned(),
                source.to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

async fn add_by_hand(function: &str, sid: &str, source: &str) {
    lambda(REGION)
        .await
        .add_permission()
        .function_name(function)
        .statement_id(sid)
        .action("lambda:InvokeFunction")
        .principal("sns.amazonaws.com")
        .source_arn(source)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

fn stack_yaml(stack: &str, topic: &str, alarm: &str, function: &str, targets: bool) -> String {
    let (subscription, action) = if targets {
        (
            format!("        - {{ protocol: lambda, endpoint: \"{function}\" }}\n"),
            format!(", \"{function}\""),
        )
    } else {
        (String::new(), String::new())
    };
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {REGION}\n  topics:\n    {topic}:\n      subscriptions:\n        - {{ protocol: email, endpoint: ops@example.com }}\n{subscription}  alarms:\n    {alarm}: {{ namespace: AWS/RDS, metric: CPUUtilization, dimensions: {{ DBInstanceIdentifier: db }}, statistic: Average, period: 300s, evaluationPeriods: 2, threshold: 80, comparison: \">\", notify: [{topic}{action}] }}\n"
    )
}

fn permission_objects(report: &Value, reason: &str) -> Vec<String> {
    events(report, reason)
        .into_iter()
        .filter_map(|e| e["object"].as_str())
        .filter(|o| o.starts_with("lambda-permission "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_are_added_kept_put_back_and_removed_leaving_others_alone() {
    let name = unique("notify");
    let function = create_function(REGION, &name).await;
    let stack = unique("lt");
    let topic = format!("{stack}-alerts");
    let alarm = format!("{stack}-db-cpu");
    let topic_arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{topic}");
    let alarm_arn = format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{alarm}");
    // A person's statement for the same principal, from another topic.
    let other_source = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{stack}-other");
    add_by_hand(&function, "by-hand", &other_source).await;

    let file = DesiredFile::write(
        "lambda.yaml",
        &stack_yaml(&stack, &topic, &alarm, &function, true),
    );
    let path = file.path.to_string_lossy().into_owned();
    let report = apply(&path).await;
    assert_eq!(
        permission_objects(&report, "Created").len(),
        2,
        "{:#}",
        report["events"]
    );
    let ours = format!("mooring-{stack}-");
    let found = statements(&function).await;
    let granted: Vec<(&str, &str)> = found
        .iter()
        .filter(|(sid, _, _)| sid.starts_with(&ours))
        .map(|(_, principal, source)| (principal.as_str(), source.as_str()))
        .collect();
    assert!(
        granted.contains(&("sns.amazonaws.com", topic_arn.as_str())),
        "{found:?}"
    );
    assert!(
        granted.contains(&("lambda.alarms.cloudwatch.amazonaws.com", alarm_arn.as_str())),
        "{found:?}"
    );
    assert_eq!(granted.len(), 2, "{found:?}");
    // SNS subscribed the function, and the alarm invokes it.
    let subscriptions = topic_subscriptions(REGION, &topic_arn).await;
    assert!(subscriptions
        .iter()
        .any(|s| s.protocol() == Some("lambda") && s.endpoint() == Some(function.as_str())));
    let report = assert_converged(&path).await;
    assert!(
        calls(&report).contains_key("GetPolicy"),
        "{:#}",
        report["calls"]
    );

    // Drift: the subscription's statement removed in the console.
    let (sid, _, _) = found
        .iter()
        .find(|(sid, _, source)| sid.starts_with(&ours) && *source == topic_arn)
        .cloned()
        .unwrap_or_else(|| panic!("{found:?}"));
    lambda(REGION)
        .await
        .remove_permission()
        .function_name(&function)
        .statement_id(&sid)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let report = apply(&path).await;
    let name_in_object = format!("lambda-permission {name}/{sid}");
    event_for(&report, "DriftCorrected", &name_in_object);
    assert!(statements(&function)
        .await
        .iter()
        .any(|(s, _, _)| *s == sid));
    assert_converged(&path).await;

    // Both targets leave the file: mooring's statements go, the person's stays.
    std::fs::write(
        &file.path,
        stack_yaml(&stack, &topic, &alarm, &function, false),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = apply(&path).await;
    assert_eq!(
        permission_objects(&report, "Pruned").len(),
        2,
        "{:#}",
        report["events"]
    );
    let left = statements(&function).await;
    assert!(
        !left.iter().any(|(sid, _, _)| sid.starts_with(&ours)),
        "{left:?}"
    );
    assert!(left.iter().any(|(sid, _, _)| sid == "by-hand"), "{left:?}");
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_function_that_does_not_exist_is_a_warning() {
    let stack = unique("lt-missing");
    let topic = format!("{stack}-alerts");
    let alarm = format!("{stack}-db-cpu");
    let function = format!(
        "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
        unique("nobody")
    );
    let file = DesiredFile::write(
        "missing.yaml",
        &stack_yaml(&stack, &topic, &alarm, &function, true),
    );
    let path = file.path.to_string_lossy().into_owned();
    let report = apply(&path).await;
    let warnings = events(&report, "FunctionNotFound");
    assert_eq!(warnings.len(), 1, "{:#}", report["events"]);
    assert!(warnings[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("does not exist")));
    // Nothing else to do: plan is converged (0), and only --fail-on-warnings fails (3).
    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains("FunctionNotFound")
            || plan.stderr.contains("FunctionNotFound")
            || plan.stdout.contains("does not exist"),
        "{plan:?}"
    );
    let strict = mooring(&["plan", &path, "--fail-on-warnings"]).await;
    assert_eq!(strict.code, 3, "{strict:?}");
    let strict = mooring(&["apply", &path, "--fail-on-warnings"]).await;
    assert_eq!(strict.code, 3, "{strict:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_function_of_another_region_or_account_is_refused_before_any_call() {
    let stack = unique("lt-bad");
    let file = DesiredFile::write(
        "bad.yaml",
        &format!(
            "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  account: \"{ACCOUNT}\"\n  region: {REGION}\n  topics:\n    {stack}-alerts:\n      subscriptions:\n        - {{ protocol: lambda, endpoint: \"arn:aws:lambda:us-east-1:{ACCOUNT}:function:n\" }}\n        - {{ protocol: lambda, endpoint: \"arn:aws:lambda:{REGION}:210987654321:function:n\" }}\n"
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    start_recording();
    let key = unique_access_key();
    for command in ["validate", "plan", "apply"] {
        let run = mooring_as(&key, &[command, &path]).await;
        let expected = if command == "validate" { 2 } else { 1 };
        assert_eq!(run.code, expected, "{command}: {run:?}");
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(output.contains("bad.yaml:11:41"), "{command}: {output}");
        assert!(output.contains("bad.yaml:12:41"), "{command}: {output}");
        assert!(output.contains("is in region us-east-1"), "{output}");
        assert!(output.contains("is in account 210987654321"), "{output}");
    }
    assert_eq!(operations_by(&key), Vec::<String>::new());
}
