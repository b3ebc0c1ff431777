//! The two SDK hooks of the pacing. The interceptor runs for every attempt, after
//! signing, and names the attempt's bucket in the request's extensions (interceptors are
//! synchronous: it cannot wait there). The HTTP client wrapper takes that bucket's token
//! before it hands the request to the real connector — every attempt, retries included,
//! because AWS counts every request — and only then starts the attempt's timeout, so the
//! time spent waiting for a token never counts as the call being slow.

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
use aws_smithy_runtime_api::shared::IntoShared;
use aws_smithy_types::config_bag::ConfigBag;

use super::bucket::TokenBucket;
use super::Pacer;
use crate::aws::stats::{answer_of, Answer};

/// A wait for a token longer than this is logged (debug).
const LONG_WAIT: Duration = Duration::from_secs(1);

/// The bucket a request takes its token from, and the family's name for the log.
#[derive(Debug, Clone)]
struct PaceWith {
    bucket: Arc<TokenBucket>,
    family: String,
}

/// Installed on every client of one service and region (aws/mod.rs `regional_client!`).
#[derive(Debug, Clone)]
pub struct PaceCalls {
    pub pacer: Arc<Pacer>,
    pub region: String,
    /// SigV4 signing name, as in the quotas file (the SDK's `Metadata` says "ECS").
    pub service: &'static str,
}

impl Intercept for PaceCalls {
    fn name(&self) -> &'static str {
        "mooring::PaceCalls"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        if let Some((bucket, family)) =
            self.pacer
                .bucket(&self.region, self.service, metadata.name())
        {
            context
                .request_mut()
                .add_extension(PaceWith { bucket, family });
        }
        Ok(())
    }

    /// A throttled answer means the account's bucket is empty whatever ours says (other
    /// callers draw from it too): drain ours. After the attempt, as `CountCalls` does,
    /// because awsQuery services name the error only in the body.
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The request itself is gone by now (the connector took it): the bucket is
        // looked up again by operation.
        let (Some(response), Some(metadata)) = (context.response(), cfg.load::<Metadata>()) else {
            return Ok(());
        };
        if answer_of(response) == Answer::Throttled {
            if let Some((bucket, family)) =
                self.pacer
                    .bucket(&self.region, self.service, metadata.name())
            {
                tracing::debug!(%family, "throttled by AWS: this bucket is taken as empty");
                bucket.drain();
            }
        }
        Ok(())
    }
}

/// The HTTP client of every paced SDK client: waits for the request's token, then sends
/// it through `inner` with `attempt_timeout` on the time on the wire.
#[derive(Debug, Clone)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
    attempt_timeout: Duration,
}

impl PacedHttpClient {
    /// Around `inner`, or the SDK's own default client when there is none.
    pub fn new(inner: Option<SharedHttpClient>, attempt_timeout: Duration) -> Option<Self> {
        let inner = inner.or_else(sdk_default_client)?;
        Some(Self {
            inner,
            attempt_timeout,
        })
    }
}

/// The client the SDK would build itself for this behaviour version (the same plugin the
/// generated clients use), so that pacing changes nothing about TLS, proxies or pooling.
fn sdk_default_client() -> Option<SharedHttpClient> {
    let plugin = aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(
        BehaviorVersion::latest(),
    )?;
    plugin
        .runtime_components(&RuntimeComponentsBuilder::new("mooring::pacing"))
        .http_client()
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        PacedConnector {
            inner: self.inner.http_connector(settings, components),
            attempt_timeout: self.attempt_timeout,
        }
        .into_shared()
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    attempt_timeout: Duration,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let pace = request.extension::<PaceWith>().cloned();
        let inner = self.inner.clone();
        let timeout = self.attempt_timeout;
        HttpConnectorFuture::new(async move {
            if let Some(PaceWith { bucket, family }) = pace {
                let waited = bucket.acquire().await;
                if waited >= LONG_WAIT {
                    tracing::debug!(%family, waited_ms = waited.as_millis(), "waited for an AWS request token");
                }
            }
            match tokio::time::timeout(timeout, inner.call(request)).await {
                Ok(answer) => answer,
                // A timeout error of the connector is transient to the SDK's retry
                // classifier: the attempt is retried (and takes another token).
                Err(_) => Err(ConnectorError::timeout(
                    format!("no answer within {} s", timeout.as_secs_f64()).into(),
                )),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_types::body::SdkBody;
    use tokio::time::Instant;

    use super::*;
    use crate::pacing::quotas::Quotas;

    /// An ECS endpoint that answers `{}` after `latency`, and records when each request
    /// arrived.
    #[derive(Debug, Clone)]
    struct SlowEcs {
        latency: Duration,
        arrivals: Arc<Mutex<Vec<Duration>>>,
        start: Instant,
    }

    impl HttpConnector for SlowEcs {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let (latency, arrivals, start) = (self.latency, self.arrivals.clone(), self.start);
            HttpConnectorFuture::new(async move {
                arrivals.lock().unwrap().push(start.elapsed());
                tokio::time::sleep(latency).await;
                Ok(HttpResponse::new(
                    200.try_into().unwrap(),
                    SdkBody::from("{}"),
                ))
            })
        }
    }

    impl HttpClient for SlowEcs {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.clone().into_shared()
        }
    }

    fn quotas_file(text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("mooring-sdk-quotas-{}.json", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn ecs_client(
        endpoint: SlowEcs,
        pacer: Arc<Pacer>,
        attempt_timeout: Duration,
    ) -> aws_sdk_ecs::Client {
        let http = PacedHttpClient::new(Some(endpoint.into_shared()), attempt_timeout).unwrap();
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "AKID", "SECRET", None, None, "test",
            ))
            .endpoint_url("http://ecs.test")
            .http_client(http)
            .interceptor(PaceCalls {
                pacer,
                region: "eu-west-1".to_owned(),
                service: "ecs",
            })
            .build();
        aws_sdk_ecs::Client::from_conf(config)
    }

    /// Refill 1/s, five calls queued at once, each 1.5 s on the wire and a 2 s attempt
    /// timeout: the last waits 4 s for its token and still succeeds, because the
    /// timeout starts when the token is taken. And the calls reach the endpoint one a
    /// second: the wait is in the path of a real SDK client.
    #[tokio::test(start_paused = true)]
    async fn the_attempt_timeout_does_not_include_the_wait_for_a_token() {
        let path = quotas_file(
            r#"{"families": [{"service": "ecs", "family": "service-modify", "burst": 1,
                "refill": 1, "operations": ["UpdateService"]}]}"#,
        );
        let quotas = Quotas::load(Some(&path)).unwrap();
        let _ = std::fs::remove_file(&path);
        let pacer = Arc::new(Pacer::new(quotas, "1".parse().unwrap()));
        let endpoint = SlowEcs {
            latency: Duration::from_millis(1500),
            arrivals: Arc::default(),
            start: Instant::now(),
        };
        let client = ecs_client(endpoint.clone(), pacer.clone(), Duration::from_secs(2));
        let calls = (0..5).map(|i| {
            let client = client.clone();
            async move {
                client
                    .update_service()
                    .cluster("c")
                    .service(format!("s{i}"))
                    .desired_count(0)
                    .send()
                    .await
            }
        });
        let results = futures::future::join_all(calls).await;
        for result in &results {
            assert!(result.is_ok(), "{result:?}");
        }
        let mut arrivals: Vec<u64> = endpoint
            .arrivals
            .lock()
            .unwrap()
            .iter()
            .map(|at| at.as_secs())
            .collect();
        arrivals.sort();
        assert_eq!(
            arrivals,
            vec![0, 1, 2, 3, 4],
            "one request a second, none retried"
        );
        let waited = pacer.waits()[&("ecs".to_owned(), "service-modify".to_owned())];
        assert_eq!(waited.as_secs(), 1 + 2 + 3 + 4);
    }

    /// An endpoint that answers ThrottlingException to its first request.
    #[derive(Debug, Clone)]
    struct ThrottlesOnce {
        arrivals: Arc<Mutex<Vec<Duration>>>,
        start: Instant,
    }

    impl HttpConnector for ThrottlesOnce {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let mut arrivals = self.arrivals.lock().unwrap();
            arrivals.push(self.start.elapsed());
            let response = if arrivals.len() == 1 {
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

    impl HttpClient for ThrottlesOnce {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.clone().into_shared()
        }
    }

    /// AWS's bucket was drained by someone else: the first call is throttled although
    /// ours is full, and from then on ours is taken as empty, so the following calls
    /// go out at the refill rate instead of into more throttling.
    #[tokio::test(start_paused = true)]
    async fn a_throttled_answer_empties_our_bucket() {
        let pacer = Arc::new(Pacer::new(
            Quotas::load(None).unwrap(),
            "1".parse().unwrap(),
        ));
        let endpoint = ThrottlesOnce {
            arrivals: Arc::default(),
            start: Instant::now(),
        };
        let http =
            PacedHttpClient::new(Some(endpoint.clone().into_shared()), Duration::from_secs(5))
                .unwrap();
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "AKID", "SECRET", None, None, "test",
            ))
            .endpoint_url("http://ecs.test")
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .http_client(http)
            .interceptor(PaceCalls {
                pacer,
                region: "eu-west-1".to_owned(),
                service: "ecs",
            })
            .build();
        let client = aws_sdk_ecs::Client::from_conf(config);
        for i in 0..3 {
            let _ = client
                .update_service()
                .cluster("c")
                .service(format!("s{i}"))
                .send()
                .await;
        }
        // UpdateService refills 5/s: 200 ms apart after the throttled one, where a full
        // bucket of 50 would have sent all three at once.
        let arrivals: Vec<u128> = endpoint
            .arrivals
            .lock()
            .unwrap()
            .iter()
            .map(|at| at.as_millis())
            .collect();
        assert_eq!(arrivals, vec![0, 200, 400]);
    }

    /// An attempt that stays on the wire longer than the timeout fails as a timeout, and
    /// its retry takes another token.
    #[tokio::test(start_paused = true)]
    async fn a_slow_answer_times_out_per_attempt() {
        let pacer = Arc::new(Pacer::new(
            Quotas::load(None).unwrap(),
            "1".parse().unwrap(),
        ));
        let endpoint = SlowEcs {
            latency: Duration::from_secs(10),
            arrivals: Arc::default(),
            start: Instant::now(),
        };
        let client = ecs_client(endpoint.clone(), pacer, Duration::from_secs(1));
        let error = client
            .update_service()
            .cluster("c")
            .service("s")
            .send()
            .await
            .unwrap_err();
        // The SDK's Display is terse; its Debug shows the connector's error.
        assert!(
            format!("{error:?}").contains("no answer within 1 s"),
            "{error:?}"
        );
        // The SDK's default (standard retry: 3 attempts) retried the timeouts.
        assert!(endpoint.arrivals.lock().unwrap().len() > 1);
    }
}
