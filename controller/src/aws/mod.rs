//! The AWS side: SDK configuration and one adapter module per AWS service.
//! Adapters take and return our own types (`observed`), never leak SDK types.

pub(crate) mod alarms;
pub(crate) mod autoscaling;
pub(crate) mod call_log;
pub(crate) mod cloudwatch;
pub(crate) mod clusters;
pub(crate) mod dashboards;
pub(crate) mod ecs;
pub(crate) mod lambda;
pub(crate) mod sns;
pub mod stats;
pub(crate) mod sts;
pub(crate) mod throttling;
pub(crate) mod topics;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::Mutex;

use self::stats::{CallStats, CountCalls};
use crate::pacing::sdk::{PaceCalls, PacedHttpClient};
use crate::pacing::Pacer;

/// How patient mooring is with AWS.
#[derive(Debug, Clone)]
pub struct CallPolicy {
    /// Upper bound on one API call, retries included; with pacing, on each attempt's
    /// time on the wire instead (a call may wait longer than this for its tokens).
    pub call_timeout: Duration,
    /// Attempts per call; the SDK's standard mode retries throttling and 5xx
    /// with exponential backoff and full jitter.
    pub max_attempts: u32,
    /// The token buckets every attempt waits for (`crate::pacing`); `None`: not paced.
    pub pacer: Option<Arc<Pacer>>,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(30),
            max_attempts: 5,
            pacer: None,
        }
    }
}

/// A cached client per region for one AWS service, counting its calls. Every SDK
/// crate has its own config builder type and no shared trait, hence a macro.
macro_rules! regional_client {
    ($method:ident, $cache:ident, $sdk:ident, $signing_name:literal) => {
        pub async fn $method(&self, region: &str) -> $sdk::Client {
            let mut cache = self.$cache.lock().await;
            cache
                .entry(region.to_owned())
                .or_insert_with(|| {
                    let mut config = $sdk::config::Builder::from(&self.base)
                        .region(Region::new(region.to_owned()))
                        .interceptor(CountCalls(self.stats.clone()));
                    if let Some(pacer) = &self.pacer {
                        config = config.interceptor(PaceCalls {
                            pacer: pacer.clone(),
                            region: region.to_owned(),
                            service: $signing_name,
                        });
                    }
                    $sdk::Client::from_conf(config.build())
                })
                .clone()
        }
    };
}

/// SDK clients, built once from the standard credential chain (environment,
/// profile, role) and cached per region. `AWS_ENDPOINT_URL` points every client at
/// another endpoint (the local emulator) without any code here knowing about it.
pub struct Clients {
    base: SdkConfig,
    stats: CallStats,
    /// Present when the clients are paced (their HTTP client waits for its tokens).
    pacer: Option<Arc<Pacer>>,
    ecs: Mutex<HashMap<String, aws_sdk_ecs::Client>>,
    autoscaling: Mutex<HashMap<String, aws_sdk_applicationautoscaling::Client>>,
    sns: Mutex<HashMap<String, aws_sdk_sns::Client>>,
    lambda: Mutex<HashMap<String, aws_sdk_lambda::Client>>,
    cloudwatch: Mutex<HashMap<String, aws_sdk_cloudwatch::Client>>,
    sts: Mutex<HashMap<String, aws_sdk_sts::Client>>,
    /// region → the account STS said the credentials reach: asked once per process and
    /// region (the credentials of a process do not change account), successes only.
    accounts: Mutex<HashMap<String, String>>,
}

impl Clients {
    pub async fn from_environment(policy: CallPolicy) -> Self {
        let loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(policy.max_attempts));
        let timeouts = TimeoutConfig::builder().connect_timeout(Duration::from_secs(5));
        // Paced, the SDK's operation timeout would count the time spent waiting for
        // tokens (a thousand UpdateService at 4/s wait minutes): the paced HTTP client
        // bounds each attempt's time on the wire instead, after its token is taken.
        let paced = policy
            .pacer
            .as_ref()
            .and_then(|_| PacedHttpClient::new(None, policy.call_timeout));
        // Without an HTTP client to wrap (no default one compiled in) nothing could wait.
        let pacer = policy.pacer.filter(|_| paced.is_some());
        let loader = match paced {
            // The SDK's upload stall check starts its clock before the request reaches
            // the HTTP client, so a token wait longer than its 5 s grace period would
            // time out an attempt that was never sent (and spend another token on its
            // retry). mooring uploads only small bodies; downloads stay protected.
            Some(http) => loader
                .timeout_config(timeouts.build())
                .stalled_stream_protection(
                    StalledStreamProtectionConfig::enabled()
                        .upload_enabled(false)
                        .build(),
                )
                .http_client(http),
            None => loader.timeout_config(timeouts.operation_timeout(policy.call_timeout).build()),
        };
        let base = loader.load().await;
        let mut clients = Self::from_sdk_config(base);
        clients.pacer = pacer;
        clients
    }

    /// Clients from a configuration built elsewhere (tests point one at the emulator).
    /// Like every client mooring builds, they record to `MOORING_CALL_LOG` when it is set.
    pub fn from_sdk_config(base: SdkConfig) -> Self {
        Self {
            base,
            stats: CallStats::from_environment(),
            pacer: None,
            ecs: Mutex::new(HashMap::new()),
            autoscaling: Mutex::new(HashMap::new()),
            sns: Mutex::new(HashMap::new()),
            lambda: Mutex::new(HashMap::new()),
            cloudwatch: Mutex::new(HashMap::new()),
            sts: Mutex::new(HashMap::new()),
            accounts: Mutex::new(HashMap::new()),
        }
    }

    /// Requests made by every client so far, by operation.
    pub fn stats(&self) -> &CallStats {
        &self.stats
    }

    /// The token buckets of these clients, if they are paced.
    pub fn pacer(&self) -> Option<&Pacer> {
        self.pacer.as_deref()
    }

    /// The configuration every client is built from (clients of other services, such as
    /// the S3 desired-state source, start from it too).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.base
    }

    /// The region used for stacks that do not name one.
    pub fn default_region(&self) -> Option<String> {
        self.base.region().map(|r| r.to_string())
    }

    /// The region a stack lives in: its own `spec.region`, else the SDK default
    /// (AWS_REGION, the profile). Neither is an error, as with the AWS CLI.
    pub fn resolve_region(&self, declared: Option<&str>) -> Result<String, NoRegion> {
        declared
            .map(str::to_owned)
            .or_else(|| self.default_region())
            .ok_or(NoRegion)
    }

    // The last argument is the SigV4 signing name, the quotas file's `service`.
    regional_client!(ecs, ecs, aws_sdk_ecs, "ecs");
    regional_client!(
        autoscaling,
        autoscaling,
        aws_sdk_applicationautoscaling,
        "application-autoscaling"
    );
    regional_client!(sns, sns, aws_sdk_sns, "sns");
    regional_client!(lambda, lambda, aws_sdk_lambda, "lambda");
    regional_client!(cloudwatch, cloudwatch, aws_sdk_cloudwatch, "monitoring");
    regional_client!(sts, sts, aws_sdk_sts, "sts");

    /// The account the credentials reach in `region` (STS GetCallerIdentity), asked at
    /// most once per process and region while it succeeds; a failure is not cached, so
    /// the next pass asks again.
    pub async fn caller_account(&self, region: &str) -> Result<String, sts::StsError> {
        if let Some(known) = self.accounts.lock().await.get(region) {
            return Ok(known.clone());
        }
        let client = self.sts(region).await;
        let account = sts::caller_account(&client, region).await?;
        self.accounts
            .lock()
            .await
            .insert(region.to_owned(), account.clone());
        Ok(account)
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "no region: the stack has no `spec.region` and none is configured (AWS_REGION or a profile)"
)]
pub struct NoRegion;

/// The whole chain of an SDK error on one line: the SDK's own Display is terse
/// ("service error") and hides the service's message.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
