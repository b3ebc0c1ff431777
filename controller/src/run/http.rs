//! The controller's HTTP endpoints: `/healthz` (the process answers), `/readyz` (a
//! desired state is loaded and a pass finished within three intervals), `/metrics`
//! (Prometheus text), `/status` (JSON: every resource of every stack, docs/status.md) and
//! `/` (the same as an HTML page). And the client side of
//! `mooring healthcheck`, for images without curl.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::status::Shared;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("listening on {address} failed")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the HTTP server failed")]
    Serve(#[source] std::io::Error),
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .route("/", get(page))
        .with_state(shared)
}

async fn readyz(State(shared): State<Shared>) -> impl IntoResponse {
    if shared.ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no desired state loaded, or no pass finished within three intervals\n",
        )
    }
}

async fn metrics(State(shared): State<Shared>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics_text(),
    )
}

async fn status(State(shared): State<Shared>) -> impl IntoResponse {
    Json(shared.status())
}

/// The status page: the same document as `/status`, as HTML.
async fn page(State(shared): State<Shared>) -> impl IntoResponse {
    let document = shared.status();
    Html(crate::status::html::page(&document, chrono::Utc::now()).into_string())
}

/// Binds first (so that a taken port fails the start), then serves until `shutdown`.
pub async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener, HttpError> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| HttpError::Bind { address, source })
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Shared,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(HttpError::Serve)
}

/// `mooring healthcheck`: GET `url` (http://host:port/path), true on a 2xx within
/// `timeout`. A plain HTTP/1.0 request: the image needs no curl, the binary no client.
pub async fn healthcheck(url: &str, timeout: Duration) -> Result<bool, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("expected an http:// URL, found `{url}`"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority)
            .await
            .map_err(|e| format!("connecting to {authority} failed: {e}"))?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("sending to {authority} failed: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| format!("reading from {authority} failed: {e}"))?;
        let head = String::from_utf8_lossy(&response);
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{url} answered no HTTP status"))?;
        Ok((200..300).contains(&status))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("{url} did not answer within {timeout:?}"))?
}
