//! The Lambdas' desired state from S3 (`MOORING_DESIRED_STATE=s3://bucket/key`, the object
//! `mooring run s3://...` follows), through the invocation path the `offhours` and
//! `reconcile` functions share, against the emulator: the published state is applied and
//! reported with the object's revision, and an object that is missing or broken is an
//! error that names it.

use aws_sdk_s3::primitives::ByteStream;
use mooring::aws::stats::CallStats;
use mooring::aws::Clients;
use mooring::invocation::{run_invocation_from, DesiredStateSource, LoadError};

use crate::fixtures::*;
use crate::run_s3::{publish, s3, stack_yaml};

const REGION: &str = "us-east-1";

async fn bucket(client: &aws_sdk_s3::Client) -> String {
    let bucket = unique("lambda-desired").to_lowercase();
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating bucket {bucket}: {e:?}"));
    bucket
}

fn source(url: &str, revision: Option<&str>) -> DesiredStateSource {
    DesiredStateSource::new(url.into(), revision.map(str::to_owned))
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

async fn invoke(
    source: &DesiredStateSource,
) -> Result<mooring::invocation::InvocationSummary, LoadError> {
    let clients = Clients::from_sdk_config(sdk_config(REGION).await);
    run_invocation_from(&clients, source, chrono::Utc::now(), false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lambda_applies_the_desired_state_published_to_s3_with_its_revision() {
    let cluster = unique("lambda-s3");
    seed_services(REGION, &cluster, &[("web", 0)]).await;
    let client = s3(&CallStats::default()).await;
    let bucket = bucket(&client).await;
    let url = format!("s3://{bucket}/mooring/stack.yaml");
    // What CI publishes on merge: the file, with the git commit as `revision` metadata.
    client
        .put_object()
        .bucket(&bucket)
        .key("mooring/stack.yaml")
        .metadata("revision", "3f2c9e1")
        .body(ByteStream::from(
            stack_yaml(&cluster, &cluster, 3).into_bytes(),
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting {url}: {e:?}"));

    let first = invoke(&source(&url, None)).await.unwrap();
    // The cluster's stack tag (mooring:stack:<stack>), the count, and one TagResource with
    // the claim (mooring:stack) and the count's record (mooring:count).
    assert_eq!((first.applied, first.failed), (3, 0), "{first:#?}");
    assert_eq!(first.revision.as_deref(), Some("3f2c9e1"));
    assert_eq!(desired_count(REGION, &cluster, "web").await, 3);

    // A new version without metadata: its ETag is the revision, as for `mooring run`.
    publish(
        &client,
        &bucket,
        "mooring/stack.yaml",
        &stack_yaml(&cluster, &cluster, 1),
    )
    .await;
    let etag = client
        .head_object()
        .bucket(&bucket)
        .key("mooring/stack.yaml")
        .send()
        .await
        .unwrap()
        .e_tag()
        .map(|e| e.trim_matches('"').to_owned());
    let second = invoke(&source(&url, None)).await.unwrap();
    assert_eq!(second.applied, 2, "{second:#?}");
    assert_eq!(second.revision, etag);
    assert_eq!(desired_count(REGION, &cluster, "web").await, 1);

    // MOORING_REVISION, when given, wins; a converged account is not touched.
    let third = invoke(&source(&url, Some("given-rev"))).await.unwrap();
    assert_eq!(third.revision.as_deref(), Some("given-rev"));
    assert_eq!(
        (third.planned, third.mutating_requests),
        (0, 0),
        "{third:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_broken_object_is_an_error_naming_it() {
    let client = s3(&CallStats::default()).await;
    let bucket = bucket(&client).await;

    let missing = format!("s3://{bucket}/nowhere/stack.yaml");
    let error = invoke(&source(&missing, None)).await.unwrap_err();
    assert_eq!(error.error_type(), "DesiredStateUnavailable", "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("getting {missing} failed: ")),
        "{error}"
    );

    let no_bucket = format!("s3://{bucket}-gone/stack.yaml");
    let error = invoke(&source(&no_bucket, None)).await.unwrap_err();
    assert!(error.to_string().contains(&no_bucket), "{error}");

    // A typo in what was published: file (the object), line and column, nothing applied.
    publish(
        &client,
        &bucket,
        "broken.yaml",
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: x\nspec:\n  regoin: us-east-1\n",
    )
    .await;
    let broken = format!("s3://{bucket}/broken.yaml");
    let error = invoke(&source(&broken, None)).await.unwrap_err();
    assert_eq!(error.error_type(), "DesiredStateInvalid", "{error}");
    assert!(
        error.to_string().contains(&format!("{broken}:6:3")),
        "{error}"
    );

    let error = DesiredStateSource::new("s3://only-a-bucket".into(), None).unwrap_err();
    assert!(
        error.to_string().contains("expected s3://bucket/key"),
        "{error}"
    );
}
