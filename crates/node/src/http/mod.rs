//! The HTTP API (axum): routes, metrics middleware, and the two ways to
//! run a server — in the background ([`RunningNode`]) or until a signal
//! ([`run_until_signal`]).

mod body;
mod error;
mod handlers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::oneshot;

use crate::error::NodeError;
use crate::service::Service;
use error::ErrorCode;

/// The router of the node's API over `service`.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/healthz", get(handlers::health))
        .route("/metrics", get(handlers::metrics))
        .route("/v1/models", post(handlers::add_model).get(handlers::list_models))
        .route(
            "/v1/models/{reference}",
            get(handlers::show_model).delete(handlers::remove_model),
        )
        .route("/v1/models/{reference}/file", get(handlers::model_file))
        .route("/v1/models/{reference}/compile", post(handlers::compile_model))
        .route("/v1/infer", post(handlers::infer))
        .route("/v1/verify", post(handlers::verify))
        .fallback(error::not_found)
        .layer(middleware::from_fn_with_state(service.clone(), record_metrics))
        .with_state(service)
}

async fn record_metrics(State(service): State<Arc<Service>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let start = Instant::now();
    let response = next.run(request).await;
    service
        .metrics()
        .request(&route, response.status().as_u16(), start.elapsed());
    if let Some(ErrorCode(code)) = response.extensions().get::<ErrorCode>() {
        service.metrics().error(code);
    }
    response
}

fn runtime() -> Result<tokio::runtime::Runtime, NodeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("veris-node")
        .build()
        .map_err(|e| NodeError::Internal {
            action: "start its runtime",
            reason: e.to_string(),
        })
}

async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener, NodeError> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| NodeError::Internal {
            action: "listen",
            reason: format!("{listen}: {e}"),
        })
}

/// A node serving HTTP on a background runtime, until [`RunningNode::shutdown`].
#[derive(Debug)]
pub struct RunningNode {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningNode {
    /// Binds `listen` (port 0 picks a free port) and serves in the background.
    pub fn start(service: Arc<Service>, listen: SocketAddr) -> Result<RunningNode, NodeError> {
        let rt = runtime()?;
        let listener = rt.block_on(bind(listen))?;
        let addr = listener.local_addr().map_err(|e| NodeError::Internal {
            action: "read its address",
            reason: e.to_string(),
        })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("veris-node-http".into())
            .spawn(move || {
                rt.block_on(async move {
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    let _ = axum::serve(listener, router(service))
                        .with_graceful_shutdown(shutdown)
                        .await;
                });
            })
            .map_err(|e| NodeError::Internal {
                action: "start its server thread",
                reason: e.to_string(),
            })?;
        Ok(RunningNode {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Serves on `listen` until SIGINT or SIGTERM, then shuts down gracefully.
/// `on_ready` is called with the bound address once the node accepts connections.
pub fn run_until_signal(
    service: Arc<Service>,
    listen: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), NodeError> {
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = bind(listen).await?;
        let addr = listener.local_addr().map_err(|e| NodeError::Internal {
            action: "read its address",
            reason: e.to_string(),
        })?;
        on_ready(addr);
        axum::serve(listener, router(service))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| NodeError::Internal {
                action: "serve",
                reason: e.to_string(),
            })
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        // Without signal handlers, serve until the process is killed.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}
