//! The S3 desired-state source against the emulator: a new object version is loaded,
//! an unchanged one costs one conditional request (304) and no reload; and
//! `mooring run s3://bucket/key` follows a published object.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use mooring::aws::stats::{CallStats, CountCalls};
use mooring::run::source::{Location, Source};

use crate::fixtures::*;

const REGION: &str = "us-east-1";

pub(crate) async fn s3(stats: &CallStats) -> aws_sdk_s3::Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    let config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .interceptor(CountCalls(stats.clone()))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub(crate) async fn publish(client: &aws_sdk_s3::Client, bucket: &str, key: &str, text: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(text.as_bytes().to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting s3://{bucket}/{key}: {e:?}"));
}

fn requests(stats: &CallStats) -> u64 {
    stats.snapshot().values().map(|s| s.requests).sum()
}

pub(crate) fn stack_yaml(stack: &str, cluster: &str, count: u32) -> String {
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {REGION}\n  services:\n    - {{ cluster: {cluster}, name: web, desiredCount: {count} }}\n"
    )
}

async fn bucket_with(stats: &CallStats, text: &str) -> (aws_sdk_s3::Client, String) {
    let client = s3(stats).await;
    let bucket = unique("desired").to_lowercase();
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating bucket {bucket}: {e:?}"));
    publish(&client, &bucket, "stack.yaml", text).await;
    (client, bucket)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_s3_source_loads_a_new_version_and_ignores_an_unchanged_one() {
    let stats = CallStats::default();
    let (client, bucket) = bucket_with(&stats, "first").await;
    let mut source = Source::new(
        Location::S3 {
            bucket: bucket.clone(),
            key: "stack.yaml".into(),
        },
        Some(client.clone()),
    );
    let first = source.poll().await.unwrap().expect("the first poll loads");
    assert_eq!(first.sources[0].1, "first");
    let etag = first.revision.clone().expect("the ETag is the revision");

    let before = requests(&stats);
    assert!(
        source.poll().await.unwrap().is_none(),
        "unchanged: no reload"
    );
    assert_eq!(
        requests(&stats) - before,
        1,
        "one request for an unchanged object"
    );

    publish(&client, &bucket, "stack.yaml", "second").await;
    let second = source.poll().await.unwrap().expect("a new version loads");
    assert_eq!(second.sources[0].1, "second");
    assert_ne!(second.revision.as_deref(), Some(etag.as_str()));
    assert!(source.poll().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn run_follows_a_desired_state_published_to_s3() {
    let cluster = unique("run-s3");
    seed_services(REGION, &cluster, &[("web", 0)]).await;
    let stats = CallStats::default();
    let (client, bucket) = bucket_with(&stats, &stack_yaml(&cluster, &cluster, 1)).await;
    let mut controller = crate::run::Controller::start(
        &format!("s3://{bucket}/stack.yaml"),
        &["--interval", "10m", "--poll", "200ms"],
    );
    crate::run::within(WAIT, "converged", || async {
        desired_count(REGION, &cluster, "web").await == 1
    })
    .await;
    // Several polls of an unchanged object: still one load.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(controller.events("DesiredStateLoaded").len(), 1);
    let (_, metrics) = controller.get("/metrics");
    assert!(
        metrics.contains("operation=\"GetObject\",outcome=\"success\""),
        "{metrics}"
    );

    publish(
        &client,
        &bucket,
        "stack.yaml",
        &stack_yaml(&cluster, &cluster, 2),
    )
    .await;
    crate::run::within(Duration::from_secs(20), "new version applied", || async {
        desired_count(REGION, &cluster, "web").await == 2
    })
    .await;
    assert_eq!(controller.events("DesiredStateLoaded").len(), 2);
    let (code, _) = controller.terminate();
    assert_eq!(code, Some(0));
}
