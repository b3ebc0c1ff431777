//! `mooring run`: the long-running controller. Wiring only: AWS clients, the desired-state
//! source, the HTTP endpoints, signals; the loop itself is in `controller`.

pub(crate) mod controller;
pub(crate) mod http;
pub(crate) mod metrics;
mod options;
pub mod source;
pub(crate) mod status;

use std::time::Duration;

use tokio::sync::watch;

pub use self::options::RunOptions;
use self::source::{Location, Source};
use self::status::Shared;
use crate::aws::stats::CountCalls;
use crate::aws::Clients;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("starting the HTTP endpoints failed")]
    Http(#[from] http::HttpError),
    #[error("installing the signal handlers failed")]
    Signals(#[source] std::io::Error),
}

/// Runs until SIGTERM or SIGINT; `Ok` is a clean stop (exit 0).
pub async fn run(options: RunOptions) -> Result<(), RunError> {
    let clients = Clients::from_environment(options.policy.clone()).await;
    let s3 = match &options.location {
        Location::S3 { .. } => Some(s3_client(&clients, options.policy.call_timeout)),
        Location::Files(_) => None,
    };
    let source = Source::new(options.location.clone(), s3);
    let shared = Shared::new(
        options.location.describe(),
        clients.stats().clone(),
        options.interval,
    );

    let (stop, stopping) = watch::channel(false);
    let listener = http::bind(options.listen).await?;
    let address = listener.local_addr().unwrap_or(options.listen);
    tracing::info!(%address, "serving /healthz /readyz /metrics /status");
    let mut http_stopping = stopping.clone();
    let server = tokio::spawn(http::serve(listener, shared.clone(), async move {
        let _ = http_stopping.changed().await;
    }));
    let signals = signals().map_err(RunError::Signals)?;
    tokio::spawn(async move {
        let name = signals.await;
        tracing::info!(signal = name, "stopping");
        let _ = stop.send(true);
    });

    controller::reconcile_loop(&options, &clients, source, shared, stopping).await;

    // Open keep-alive connections must not hold the exit up.
    if let Ok(Ok(Err(e))) = tokio::time::timeout(Duration::from_millis(500), server).await {
        tracing::warn!(error = %crate::aws::error_chain(&e), "the HTTP server failed");
    }
    Ok(())
}

/// Resolves with the name of the first of SIGTERM (ECS stopping the task) and SIGINT.
fn signals() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

/// S3 from the same configuration as the other clients (credentials, region, endpoint),
/// with its own call timeout; path-style addressing when an endpoint URL is set (local
/// emulators do not serve bucket subdomains). Its calls are counted with the others, so
/// `/metrics` shows the polls.
pub fn s3_client(clients: &Clients, call_timeout: Duration) -> aws_sdk_s3::Client {
    let base = clients.sdk_config();
    let path_style = base.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let config = aws_sdk_s3::config::Builder::from(base)
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(call_timeout)
                .connect_timeout(Duration::from_secs(5))
                .build(),
        )
        .force_path_style(path_style)
        .interceptor(CountCalls(clients.stats().clone()))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
