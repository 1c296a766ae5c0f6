//! Starting the network.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};
use veris_core::OperatorKey;

use crate::behaviour::build_swarm;
use crate::config::NetConfig;
use crate::directory::SharedDirectory;
use crate::driver::Driver;
use crate::error::NetError;
use crate::handle::NetHandle;
use crate::identity;
use crate::provider::Provider;

/// Commands a handle may queue before its callers wait.
const COMMAND_QUEUE: usize = 256;
/// Events kept for a slow subscriber before the oldest are dropped.
const EVENT_QUEUE: usize = 1024;

/// The Veris peer-to-peer network of one node.
#[derive(Debug)]
pub struct Network;

impl Network {
    /// Starts the network of the node with operator key `key`, serving
    /// `provider` to its peers, on the current tokio runtime. Returns once
    /// every listen address is bound (or failed, as long as one succeeded)
    /// and bootstrap peers are being dialled.
    pub async fn spawn(
        config: NetConfig,
        key: &OperatorKey,
        provider: Arc<dyn Provider>,
    ) -> Result<NetHandle, NetError> {
        config.validate()?;
        let limits = Arc::new(config.limits.clone());
        let mut swarm = build_swarm(identity::keypair(key), &config, limits.clone())?;
        let local = *swarm.local_peer_id();

        let mut listeners = HashSet::new();
        let mut failures = Vec::new();
        for addr in &config.listen {
            match swarm.listen_on(addr.clone()) {
                Ok(id) => {
                    listeners.insert(id);
                }
                Err(e) => failures.push(format!("{addr}: {e}")),
            }
        }
        if listeners.is_empty() && !config.listen.is_empty() {
            return Err(NetError::Listen {
                addr: "all listen addresses".into(),
                reason: failures.join("; "),
            });
        }

        let (events, _) = broadcast::channel(EVENT_QUEUE);
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        let (commands_tx, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        let directory = SharedDirectory::new(config.timing.announce_ttl);
        let shared = directory.clone();
        let mut driver = Driver::new(swarm, config, limits, provider, events.clone(), internal_tx, directory);
        driver.await_listeners(listeners).await?;
        driver.bootstrap();
        tokio::spawn(driver.run(commands_rx, internal_rx));
        Ok(NetHandle {
            local,
            commands: commands_tx,
            events,
            directory: shared,
        })
    }
}
