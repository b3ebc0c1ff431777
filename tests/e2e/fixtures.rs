//! Test fixtures for the end-to-end tests: the local emulator's endpoint, ECS
//! services seeded the way a deploy pipeline would create them, the `mooring` binary,
//! and moto's request recorder.
//!
//! Every test uses its own cluster names (`unique`), so tests run in parallel against
//! one emulator without seeing each other.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};

/// Upper bound on anything a test waits for.
pub const WAIT: Duration = Duration::from_secs(120);

pub const ACCOUNT: &str = "123456789012";

/// Wednesday 2026-03-04 16:00 in Berlin, 15:00 in London, 10:00 in New York: every example
/// schedule is awake.
pub const AWAKE_INSTANT: &str = "2026-03-04T15:00:00Z";

/// Held by the tests that apply the shipped examples under their own stack, alarm and topic
/// names (examples.rs, autoscaling.rs): their clusters differ, their alarms do not, so
/// run at the same moment they would rewrite each other's alarm dimensions.
pub static EXAMPLE_NAMES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The emulator's URL: `AWS_ENDPOINT_URL` when set (tests/run.sh and .ci/run start
/// the emulator and set it), else the emulator script starts (or reuses) one.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
            return url;
        }
        let script = repo_root().join("tests/emulator/moto.sh");
        let started = std::process::Command::new(&script)
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("running {} failed: {e}", script.display()));
        assert!(
            started.status.success(),
            "starting the emulator failed:\n{}",
            String::from_utf8_lossy(&started.stderr)
        );
        let env = std::process::Command::new(&script)
            .arg("env")
            .output()
            .unwrap_or_else(|e| panic!("running {} env failed: {e}", script.display()));
        String::from_utf8_lossy(&env.stdout)
            .split_whitespace()
            .find_map(|word| word.strip_prefix("AWS_ENDPOINT_URL="))
            .map(|url| url.trim_matches(['"', '\'']).to_owned())
            .unwrap_or_else(|| panic!("moto.sh env printed no AWS_ENDPOINT_URL"))
    })
}

pub fn repo_root() -> PathBuf {
    // CARGO_MANIFEST_DIR is controller/; the repository root is its parent.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos:x}", std::process::id())
}

/// `name` made unique to this test process (the same for every call in it): stacks of
/// different runs against one emulator must differ, because a pass finds the clusters
/// tagged for its stack (`mooring:stack:<stack>`) and releases that stack's services it
/// no longer declares there, an earlier run's included. Tests of one run use distinct names.
pub fn run_scoped(name: &str) -> String {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let token = TOKEN.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{:x}{nanos:x}", std::process::id())
    });
    format!("{name}-{token}")
}

/// Removes the cluster tags (`mooring:stack:<stack>`) of these (stack, region) pairs
/// from every cluster of the region. For the tests that apply the shipped examples under
/// their real stack names (holding `EXAMPLE_NAMES`): each uses clusters of its own, and a
/// pass of the stack finds every cluster tagged for it and releases the stack's services
/// there that it does not declare, the other test's (or an earlier run's) included.
pub async fn forget_cluster_tags(stacks: &[(&str, &str)]) {
    for (stack, region) in stacks {
        let client = ecs(region).await;
        let key = format!("mooring:stack:{stack}");
        let arns = client
            .list_clusters()
            .send()
            .await
            .unwrap_or_else(|e| panic!("listing clusters in {region}: {e:?}"))
            .cluster_arns()
            .to_vec();
        for batch in arns.chunks(100) {
            let clusters = client
                .describe_clusters()
                .set_clusters(Some(batch.to_vec()))
                .include(aws_sdk_ecs::types::ClusterField::Tags)
                .send()
                .await
                .unwrap_or_else(|e| panic!("describing clusters in {region}: {e:?}"));
            for cluster in clusters.clusters() {
                if cluster.tags().iter().any(|t| t.key() == Some(key.as_str())) {
                    let arn = cluster.cluster_arn().unwrap_or_default();
                    client
                        .untag_resource()
                        .resource_arn(arn)
                        .tag_keys(&key)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("untagging {arn}: {e:?}"));
                }
            }
        }
    }
}

/// SDK configuration for the tests' own clients: the emulator, test credentials.
pub async fn sdk_config(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

pub async fn ecs(region: &str) -> aws_sdk_ecs::Client {
    aws_sdk_ecs::Client::new(&sdk_config(region).await)
}

pub async fn cloudwatch(region: &str) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&sdk_config(region).await)
}

pub async fn sns(region: &str) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&sdk_config(region).await)
}

/// A metric alarm as CloudWatch has it; `None` when there is no such alarm.
pub async fn metric_alarm(
    region: &str,
    name: &str,
) -> Option<aws_sdk_cloudwatch::types::MetricAlarm> {
    let found = cloudwatch(region)
        .await
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing alarm {name}: {e:?}"));
    found.metric_alarms().first().cloned()
}

/// The threshold of a metric alarm as CloudWatch has it; `None` when there is no such alarm.
pub async fn alarm_threshold(region: &str, name: &str) -> Option<f64> {
    metric_alarm(region, name).await.and_then(|a| a.threshold())
}

/// A metric alarm made by hand in the console: no tags, no description marker,
/// `metric > threshold` over 60 s periods.
pub async fn put_alarm_by_hand(
    region: &str,
    name: &str,
    namespace: &str,
    metric: &str,
    evaluation_periods: i32,
    threshold: f64,
) {
    cloudwatch(region)
        .await
        .put_metric_alarm()
        .alarm_name(name)
        .namespace(namespace)
        .metric_name(metric)
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(evaluation_periods)
        .threshold(threshold)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting alarm {name}: {e:?}"));
}

/// A topic's subscriptions as SNS holds them (what a user would see in the console).
pub async fn topic_subscriptions(
    region: &str,
    topic_arn: &str,
) -> Vec<aws_sdk_sns::types::Subscription> {
    sns(region)
        .await
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .subscriptions
        .unwrap_or_default()
}

/// One attribute of a topic as SNS holds it (`DisplayName`, `Policy`, ...).
pub async fn topic_attribute(region: &str, topic_arn: &str, name: &str) -> Option<String> {
    sns(region)
        .await
        .get_topic_attributes()
        .topic_arn(topic_arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .attributes
        .and_then(|mut attributes| attributes.remove(name))
}

/// Creates a cluster and services at the given counts, as a deploy pipeline would.
pub async fn seed_services(region: &str, cluster: &str, services: &[(&str, i32)]) {
    let client = ecs(region).await;
    client
        .create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating cluster {cluster}: {e:?}"));
    let family = format!("{cluster}-app");
    client
        .register_task_definition()
        .family(&family)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("public.ecr.aws/docker/library/nginx:latest")
                .essential(true)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("registering task definition {family}: {e:?}"));
    for (name, count) in services {
        let created = client
            .create_service()
            .cluster(cluster)
            .service_name(*name)
            .task_definition(&family)
            .desired_count(*count)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .send()
            .await;
        if let Err(e) = created {
            // Fixed names (the examples) may exist from an earlier run against the
            // same emulator: set the count instead.
            let message = format!("{e:?}");
            assert!(
                message.contains("idempotent") || message.contains("exists"),
                "creating service {cluster}/{name}: {message}"
            );
            scale_behind_moorings_back(region, cluster, name, *count).await;
        }
    }
}

pub async fn desired_count(region: &str, cluster: &str, service: &str) -> i32 {
    let output = ecs(region)
        .await
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {cluster}/{service}: {e:?}"));
    output
        .services()
        .first()
        .map(|s| s.desired_count())
        .unwrap_or_else(|| panic!("service {cluster}/{service} not found"))
}

/// A service's ARN, as ECS describes it.
pub async fn service_arn(region: &str, cluster: &str, service: &str) -> String {
    let described = ecs(region)
        .await
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {cluster}/{service}: {e:?}"));
    described
        .services()
        .first()
        .and_then(|s| s.service_arn())
        .unwrap_or_else(|| panic!("no ARN for {cluster}/{service}"))
        .to_owned()
}

/// Tags a service `mooring:stack=<stack>`, as a previous pass of that stack would have
/// (every full pass claims the services it manages): for tests about something else
/// than the first claim.
pub async fn claim_by_hand(region: &str, cluster: &str, service: &str, stack: &str) {
    let arn = service_arn(region, cluster, service).await;
    let client = ecs(region).await;
    let tag = aws_sdk_ecs::types::Tag::builder()
        .key("mooring:stack")
        .value(stack)
        .build();
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag)
        .send()
        .await
        .unwrap_or_else(|e| panic!("tagging {cluster}/{service}: {e:?}"));
    // As a claim by mooring leaves it: the cluster tagged for the stack too.
    let cluster_arn = arn
        .split_once(":service/")
        .map(|(prefix, _)| format!("{prefix}:cluster/{cluster}"))
        .unwrap_or_else(|| panic!("not a service ARN: {arn}"));
    let tag = aws_sdk_ecs::types::Tag::builder()
        .key(format!("mooring:stack:{stack}"))
        .value("managed")
        .build();
    client
        .tag_resource()
        .resource_arn(&cluster_arn)
        .tags(tag)
        .send()
        .await
        .unwrap_or_else(|e| panic!("tagging cluster {cluster}: {e:?}"));
}

/// Someone scales a service in the console, behind mooring's back.
pub async fn scale_behind_moorings_back(region: &str, cluster: &str, service: &str, count: i32) {
    ecs(region)
        .await
        .update_service()
        .cluster(cluster)
        .service(service)
        .desired_count(count)
        .send()
        .await
        .unwrap_or_else(|e| panic!("scaling {cluster}/{service}: {e:?}"));
}

/// A desired-state file in a fresh temporary folder, kept for the test's lifetime.
pub struct DesiredFile {
    pub dir: PathBuf,
    pub path: PathBuf,
}

impl DesiredFile {
    pub fn write(name: &str, yaml: &str) -> Self {
        let dir = std::env::temp_dir().join(unique("mooring-e2e"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let path = dir.join(name);
        std::fs::write(&path, yaml).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        Self { dir, path }
    }
}

impl Drop for DesiredFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one run of the `mooring` binary printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the real `mooring` binary against the emulator, as a user would.
pub async fn mooring(args: &[&str]) -> Run {
    mooring_as("testing", args).await
}

/// Runs `mooring` with its own access key id, so that its requests can be picked out
/// of moto's recording (`operations_by`).
pub async fn mooring_as(access_key_id: &str, args: &[&str]) -> Run {
    mooring_at(endpoint(), access_key_id, args).await
}

/// `mooring` against another endpoint than the emulator's (a fault proxy in front of it,
/// a port nothing answers on).
pub async fn mooring_via(endpoint_url: &str, args: &[&str]) -> Run {
    mooring_at(endpoint_url, "testing", args).await
}

async fn mooring_at(endpoint_url: &str, access_key_id: &str, args: &[&str]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mooring"));
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint_url)
        .env("AWS_ACCESS_KEY_ID", access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // The examples have off-hours schedules: without a fixed instant they would
        // sleep (and change what these tests see) at night, on weekends and holidays.
        // Off-hours tests pass `--now`, which wins over this.
        .env("MOORING_NOW", AWAKE_INSTANT)
        .env_remove("AWS_PROFILE")
        .kill_on_drop(true);
    let output: Output = tokio::time::timeout(WAIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("mooring {args:?} did not finish within {WAIT:?}"))
        .unwrap_or_else(|e| panic!("running mooring {args:?} failed: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// An access key id no other test uses; moto accepts any.
pub fn unique_access_key() -> String {
    unique("AKIATEST").replace('-', "").to_uppercase()
}

/// Turns moto's request recorder on (it only appends; nothing is cleared).
pub fn start_recording() {
    let (status, body) = http("POST", "/moto-api/recorder/start-recording");
    assert_eq!(status, 200, "starting moto's recorder failed: {body}");
}

/// The AWS operations (e.g. `DescribeServices`, `UpdateService`) that requests signed
/// with `access_key_id` made, in order, as moto's recorder saw them arrive.
pub fn operations_by(access_key_id: &str) -> Vec<String> {
    let (status, body) = http("GET", "/moto-api/recorder/download-recording");
    assert_eq!(status, 200, "downloading moto's recording failed: {body}");
    let credential = format!("Credential={access_key_id}/");
    body.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| header(entry, "authorization").is_some_and(|a| a.contains(&credential)))
        .filter_map(|entry| operation_of(&entry))
        .collect()
}

/// JSON protocols (ECS, Application Auto Scaling) name the operation in X-Amz-Target
/// ("AmazonEC2ContainerServiceV20141113.UpdateService"); query protocols (SNS,
/// CloudWatch 1.99) in the form body's `Action=` field.
fn operation_of(entry: &serde_json::Value) -> Option<String> {
    if let Some(target) = header(entry, "x-amz-target") {
        return target.rsplit('.').next().map(str::to_owned);
    }
    let body = entry["body"].as_str()?;
    let body = if entry["body_encoded"].as_bool() == Some(true) {
        {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()?;
            String::from_utf8(bytes).ok()?
        }
    } else {
        body.to_owned()
    };
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_owned)
}

/// Operations that change a managed resource: everything but reads and telemetry
/// (events to SNS, metrics to CloudWatch), the controller's own classification.
pub fn mutating(operations: &[String]) -> Vec<String> {
    operations
        .iter()
        .filter(|op| mooring::aws::stats::is_mutating(op))
        .cloned()
        .collect()
}

fn header<'a>(entry: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    entry["headers"]
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| value.as_str())
}

/// A plain HTTP/1.1 call to the emulator's own API (no AWS signing needed).
fn http(method: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let address = endpoint()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&address)
        .unwrap_or_else(|e| panic!("connecting to the emulator at {address}: {e}"));
    let _ = stream.set_read_timeout(Some(WAIT));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

pub async fn autoscaling(region: &str) -> aws_sdk_applicationautoscaling::Client {
    aws_sdk_applicationautoscaling::Client::new(&sdk_config(region).await)
}

/// The tags of a service, as ECS reports them.
pub async fn service_tags(
    region: &str,
    cluster: &str,
    service: &str,
) -> std::collections::BTreeMap<String, String> {
    let output = ecs(region)
        .await
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {cluster}/{service}: {e:?}"));
    output
        .services()
        .first()
        .map(|s| {
            s.tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
