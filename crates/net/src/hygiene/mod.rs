//! Peer hygiene: what a peer may ask of this node, and what happens to a
//! peer that misbehaves.
//!
//! - [`ratelimit`]: per-peer token buckets (requests and bytes served) and a
//!   quota of requests in progress; a peer over its limits is answered with a
//!   cheap refusal instead of work.
//! - [`score`]: every offence (malformed or oversized message, invalid
//!   signature, corrupt data, a false manifest, ignoring refusals) lowers the
//!   peer's score; the score recovers with time; a peer whose score reaches
//!   the ban threshold is disconnected and refused for the ban duration.

pub mod ratelimit;
pub mod score;

pub use ratelimit::RateLimiter;
pub use score::{Offence, PeerScores};
