//! The HTTP API (axum): routes, metrics middleware, and the two ways to
//! run a server — in the background ([`RunningNode`]) or until a signal
//! ([`run_until_signal`]).

mod body;
mod error;
mod handlers;
mod network;

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
use crate::peer::start_network;
use crate::service::Service;
use error::ErrorCode;
pub use network::PeerNetwork;
use veris_net::{Multiaddr, NetConfig, NetHandle, PeerId};

/// The router of the node's API over `service`, without a peer network.
pub fn router(service: Arc<Service>) -> Router {
    router_with_network(service, PeerNetwork::default())
}

/// The router of the node's API over `service` and its peer network.
pub fn router_with_network(service: Arc<Service>, net: PeerNetwork) -> Router {
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
        .route("/v1/models/{reference}/vk", get(handlers::verifying_key))
        .route("/v1/infer", post(handlers::infer))
        .route("/v1/verify", post(handlers::verify))
        .route("/v1/evidence", get(handlers::evidence))
        .route("/v1/network/peers", get(network::peers))
        .route("/v1/network/models", get(network::models))
        .route("/v1/models/pin", post(network::pin))
        .fallback(error::not_found)
        .layer(middleware::from_fn_with_state(service.clone(), network::reannounce))
        .layer(axum::Extension(net))
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
    net: Option<NetHandle>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningNode {
    /// Binds `listen` (port 0 picks a free port) and serves in the background.
    pub fn start(service: Arc<Service>, listen: SocketAddr) -> Result<RunningNode, NodeError> {
        RunningNode::start_with_network(service, listen, None)
    }

    /// As [`RunningNode::start`], also joining the peer network with `p2p`
    /// (see [`crate::peer::start_network`]) on the server's runtime.
    pub fn start_with_network(
        service: Arc<Service>,
        listen: SocketAddr,
        p2p: Option<NetConfig>,
    ) -> Result<RunningNode, NodeError> {
        let rt = runtime()?;
        let listener = rt.block_on(bind(listen))?;
        let addr = listener.local_addr().map_err(|e| NodeError::Internal {
            action: "read its address",
            reason: e.to_string(),
        })?;
        let net = match p2p {
            Some(config) => Some(rt.block_on(start_network(service.clone(), config))?),
            None => None,
        };
        let app = router_with_network(service, PeerNetwork(net.clone()));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("veris-node-http".into())
            .spawn(move || {
                rt.block_on(async move {
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
                });
            })
            .map_err(|e| NodeError::Internal {
                action: "start its server thread",
                reason: e.to_string(),
            })?;
        Ok(RunningNode {
            addr,
            net,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The node's peer network, if it was started with one.
    pub fn network(&self) -> Option<&NetHandle> {
        self.net.as_ref()
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

/// The peer identity of a node that joined the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    pub peer_id: PeerId,
    /// Listen addresses, each ending in `/p2p/<peer id>`.
    pub listen: Vec<Multiaddr>,
}

/// Serves on `listen` until SIGINT or SIGTERM, then shuts down gracefully;
/// with `p2p`, the node also joins the peer network. `on_ready` is called
/// with the bound address (and the peer identity) once the node accepts
/// connections.
pub fn run_until_signal(
    service: Arc<Service>,
    listen: SocketAddr,
    p2p: Option<NetConfig>,
    on_ready: impl FnOnce(SocketAddr, Option<PeerIdentity>),
) -> Result<(), NodeError> {
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = bind(listen).await?;
        let addr = listener.local_addr().map_err(|e| NodeError::Internal {
            action: "read its address",
            reason: e.to_string(),
        })?;
        let net = match p2p {
            Some(config) => Some(start_network(service.clone(), config).await?),
            None => None,
        };
        let identity = match &net {
            Some(net) => Some(PeerIdentity {
                peer_id: net.local_peer_id(),
                listen: net.listen_addrs().await.map_err(|e| NodeError::Internal {
                    action: "read its peer addresses",
                    reason: e.to_string(),
                })?,
            }),
            None => None,
        };
        // Handlers are installed before the node says it is ready: a signal
        // sent as soon as the ready line is read must stop it gracefully,
        // not kill it with the default action.
        let shutdown = shutdown_signal();
        on_ready(addr, identity);
        let served = axum::serve(listener, router_with_network(service, PeerNetwork(net.clone())))
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(net) = net {
            net.shutdown().await;
        }
        served.map_err(|e| NodeError::Internal {
            action: "serve",
            reason: e.to_string(),
        })
    })
}

/// Installs the SIGTERM and SIGINT handlers now; the returned future ends
/// at the first of those signals.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            // Without signal handlers, serve until the process is killed.
            std::future::pending::<()>().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    }
}
