//! The exporter's HTTP side: hyper's HTTP/1 server (already in the build
//! for reqwest) on tokio. Every request is answered from the last complete
//! collection held in an `Arc`, so a refresh never blocks a scrape.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;

use super::serve::Shared;

const TEXT: &str = "text/plain; charset=utf-8";
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

fn reply(status: StatusCode, kind: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = kind.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// Answers one request from the current state.
pub fn answer(shared: &Shared, method: &Method, path: &str) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        return reply(StatusCode::METHOD_NOT_ALLOWED, TEXT, "GET only\n");
    }
    let served = shared.current();
    match (path, served) {
        ("/metrics", Some(s)) => reply(StatusCode::OK, EXPOSITION, s.metrics_now()),
        ("/metrics" | "/healthz", None) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            TEXT,
            "no collection has finished yet\n",
        ),
        ("/healthz", Some(s)) => reply(StatusCode::OK, TEXT, s.health_line()),
        ("/", Some(s)) => reply(StatusCode::OK, HTML, s.page.clone()),
        ("/", None) => reply(
            StatusCode::OK,
            HTML,
            super::html::waiting(shared.instances()),
        ),
        _ => reply(
            StatusCode::NOT_FOUND,
            TEXT,
            "not found: try /metrics, /healthz or /\n",
        ),
    }
}

/// Accepts connections until the process ends; each on its own task.
pub async fn run(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let (stream, peer): (_, SocketAddr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors and the like: wait a moment rather than spin.
                tracing::warn!("serve: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let r = answer(&shared, req.method(), req.uri().path());
                async move { Ok::<_, Infallible>(r) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .header_read_timeout(std::time::Duration::from_secs(10))
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!("serve: connection from {peer}: {e}");
            }
        });
    }
}
