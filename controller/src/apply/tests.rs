//! The applier's order and its throttled changes. Awaited groups (`Change::after`) run
//! first. Against an ECS endpoint that throttles: a change AWS still throttled after the
//! SDK's retries is tried again later in the pass, from that change on, or left for the
//! next pass with a message that says so, never reported done.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecs::config::Credentials;
use aws_sdk_ecs::config::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use aws_smithy_types::body::SdkBody;
use tokio::time::Instant;

use super::*;
use crate::events::Reason;
use crate::plan::{EcsOperation, Operation, Resource};

/// Answers ThrottlingException to the first `throttled` UpdateService requests, `{}` to
/// everything else, and records the operations it was sent.
#[derive(Debug, Clone)]
struct ThrottlingEcs {
    throttled: u32,
    sent: Arc<Mutex<Vec<String>>>,
}

impl HttpConnector for ThrottlingEcs {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or_default()
            .to_owned();
        let mut sent = self.sent.lock().unwrap();
        sent.push(operation.clone());
        let updates = sent.iter().filter(|o| *o == "UpdateService").count();
        let response = if operation == "UpdateService" && updates <= self.throttled as usize {
            let mut response = HttpResponse::new(
                400.try_into().unwrap(),
                SdkBody::from(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#),
            );
            response
                .headers_mut()
                .insert("x-amzn-errortype", "ThrottlingException");
            response
        } else {
            HttpResponse::new(200.try_into().unwrap(), SdkBody::from("{}"))
        };
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for ThrottlingEcs {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.clone().into_shared()
    }
}

fn clients(endpoint: &ThrottlingEcs) -> Clients {
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKID", "SECRET", None, None, "test",
        )))
        .endpoint_url("http://ecs.test")
        // No SDK retries: the first throttled answer is the call's outcome.
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .http_client(endpoint.clone())
        .build();
    Clients::from_sdk_config(config)
}

/// A sleep's group: the bookkeeping tag, then the count it protects.
/// Changes as the pass hands them to `apply`: shared with its plan.
fn shared(changes: Vec<Change>) -> Vec<std::sync::Arc<Change>> {
    changes.into_iter().map(std::sync::Arc::new).collect()
}

fn sleep_group(service: &str) -> Vec<Change> {
    let resource = Resource::EcsService {
        region: "us-east-1".into(),
        cluster: "shop".into(),
        service: service.into(),
    };
    let change = |summary: &str, operation| Change {
        stack: "shop".into(),
        resource: resource.clone(),
        reason: Reason::Sleep,
        summary: summary.into(),
        diff: Vec::new(),
        operation,
        group: format!("us-east-1/shop/{service}"),
        after: None,
    };
    vec![
        change(
            "record the wake count",
            Operation::Ecs(EcsOperation::TagService {
                arn: format!("arn:aws:ecs:us-east-1:123456789012:service/shop/{service}"),
                tags: BTreeMap::from([("mooring:wake-count".into(), "2".into())]),
            }),
        ),
        change(
            "set desiredCount to 0",
            Operation::Ecs(EcsOperation::SetDesiredCount { count: 0 }),
        ),
    ]
}

#[tokio::test(start_paused = true)]
async fn a_throttled_change_is_retried_later_in_the_pass_from_where_it_stopped() {
    let endpoint = ThrottlingEcs {
        throttled: 2,
        sent: Arc::default(),
    };
    let clients = clients(&endpoint);
    let started = Instant::now();
    let outcomes = apply(
        &clients,
        shared(sleep_group("web")),
        4,
        started + Duration::from_secs(60),
    )
    .await;
    for outcome in &outcomes {
        assert!(outcome.succeeded(), "{outcome:?}");
    }
    // Throttled in rounds one and two, done in round three; the tag, done in round
    // one, is not sent again.
    assert_eq!(
        *endpoint.sent.lock().unwrap(),
        [
            "TagResource",
            "UpdateService",
            "UpdateService",
            "UpdateService"
        ]
    );
    // Pauses of 2 s and then 4 s between the rounds.
    assert_eq!(started.elapsed().as_secs(), 6);
}

#[tokio::test(start_paused = true)]
async fn past_the_pass_deadline_a_throttled_change_is_left_for_the_next_pass() {
    let endpoint = ThrottlingEcs {
        throttled: u32::MAX,
        sent: Arc::default(),
    };
    let clients = clients(&endpoint);
    let started = Instant::now();
    let mut changes = sleep_group("web");
    changes.push(Change {
        summary: "mark asleep".into(),
        ..changes[0].clone()
    });
    let outcomes = apply(
        &clients,
        shared(changes),
        4,
        started + Duration::from_secs(5),
    )
    .await;
    assert!(outcomes[0].succeeded());
    let error = outcomes[1].error.as_deref().unwrap();
    assert!(
        error.starts_with("throttled by AWS and left for the next pass (no time left in this one): updating desiredCount of service shop/web failed"),
        "{error}"
    );
    assert!(error.contains("ThrottlingException"), "{error}");
    assert_eq!(
        outcomes[2].error.as_deref(),
        Some("skipped: an earlier change of this resource failed (set desiredCount to 0)")
    );
    // Rounds at 0 s and 2 s; the next would start at 6 s, past the 5 s deadline.
    assert_eq!(
        *endpoint.sent.lock().unwrap(),
        ["TagResource", "UpdateService", "UpdateService"]
    );
    assert_eq!(started.elapsed().as_secs(), 2);
}

/// Other failures are not retried in the pass: they are the resource's own problem.
#[tokio::test(start_paused = true)]
async fn a_change_that_fails_otherwise_is_not_retried() {
    #[derive(Debug, Clone)]
    struct Missing;
    impl HttpConnector for Missing {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let mut response = HttpResponse::new(
                400.try_into().unwrap(),
                SdkBody::from(r#"{"__type":"ServiceNotFoundException","message":"gone"}"#),
            );
            response
                .headers_mut()
                .insert("x-amzn-errortype", "ServiceNotFoundException");
            HttpConnectorFuture::ready(Ok(response))
        }
    }
    impl HttpClient for Missing {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.clone().into_shared()
        }
    }
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKID", "SECRET", None, None, "test",
        )))
        .endpoint_url("http://ecs.test")
        .http_client(Missing)
        .build();
    let started = Instant::now();
    let outcomes = apply(
        &Clients::from_sdk_config(config),
        shared(sleep_group("web")),
        4,
        started + Duration::from_secs(60),
    )
    .await;
    assert!(outcomes[0]
        .error
        .as_deref()
        .unwrap()
        .contains("ServiceNotFoundException"));
    assert_eq!(started.elapsed(), Duration::ZERO);
}

// Awaited groups first (the writes branch).
fn change_for_tests(
    resource: Resource,
    operation: EcsOperation,
    group: &str,
    after: Option<&str>,
) -> Change {
    Change {
        stack: "shop".into(),
        resource,
        reason: Reason::Adopted,
        summary: "tag".into(),
        diff: Vec::new(),
        operation: Operation::Ecs(operation),
        group: group.to_owned(),
        after: after.map(str::to_owned),
    }
}

/// Clients without credentials: every call fails before it is sent.
fn failing_clients() -> Clients {
    Clients::from_sdk_config(
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build(),
    )
}

#[tokio::test]
async fn a_claim_is_skipped_when_the_cluster_tag_it_waits_for_failed() {
    let cluster_group = "cluster:us-east-1:shop".to_owned();
    let tag_cluster = change_for_tests(
        Resource::EcsCluster {
            region: "us-east-1".into(),
            cluster: "shop".into(),
        },
        EcsOperation::TagCluster {
            arn: "arn:aws:ecs:us-east-1:123456789012:cluster/shop".into(),
            tags: BTreeMap::from([("mooring:stack:shop".into(), "managed".into())]),
        },
        &cluster_group,
        None,
    );
    let service = |name: &str, after: Option<&str>| {
        change_for_tests(
            Resource::ecs_service("us-east-1", "shop", name),
            EcsOperation::TagService {
                arn: format!("arn:aws:ecs:us-east-1:123456789012:service/shop/{name}"),
                tags: BTreeMap::from([("mooring:stack".into(), "shop".into())]),
            },
            &format!("us-east-1/shop/{name}"),
            after,
        )
    };
    // Plan order puts the claim first: the applier still runs the awaited group first.
    let changes = vec![
        service("web", Some(&cluster_group)),
        tag_cluster,
        service("api", None),
    ];
    let outcomes = apply(
        &failing_clients(),
        shared(changes),
        8,
        Instant::now() + Duration::from_secs(60),
    )
    .await;
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0].change.reason, Reason::Adopted);
    let errors: Vec<String> = outcomes
        .iter()
        .map(|o| o.error.clone().unwrap_or_default())
        .collect();
    assert!(
        errors[0].starts_with("skipped: a change it depends on failed (group cluster:"),
        "{errors:?}"
    );
    for attempted in [&errors[1], &errors[2]] {
        assert!(
            !attempted.is_empty() && !attempted.starts_with("skipped"),
            "{errors:?}"
        );
    }
}
