//! Routing and replicated execution when the network misbehaves, over real
//! loopback connections: nodes are `Service`s on their own homes with their
//! own operator keys, serving HTTP and joined by libp2p in this process.
//!
//! - [`routing`]: routed requests go to the least loaded provider for its
//!   announced capacity, and fail over within the deadline.
//! - [`killed`]: an operator killed while it executes a routed request or a
//!   replicated job is replaced by another node within the deadline.
//! - [`partition`]: a 4-node network split in two keeps working in each
//!   half, and reconverges when healed.
//!
//! Every wait is bounded ([`support::LIMIT`]); the partition is chosen by a
//! seed (`VERIS_TEST_SEED`, printed).

mod killed;
mod partition;
mod routing;
mod support;
