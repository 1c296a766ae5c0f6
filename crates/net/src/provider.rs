//! What the embedding node serves to its peers.
//!
//! The network calls these methods on tokio's blocking thread pool, at most
//! `Limits::max_provider_calls` at a time, so implementations may read files
//! or run inference synchronously without stalling the peer layer.

use libp2p::PeerId;
use veris_core::{Digest32, ModelId};

use crate::manifest::Manifest;
use crate::wire::messages::InferRequest;

/// The node's side of the peer protocols. Only the blob methods are required;
/// a node that serves no inference or receipts keeps the defaults.
pub trait Provider: Send + Sync + 'static {
    /// The size of blob `id`, if this node holds it.
    fn blob_len(&self, id: &ModelId) -> Option<u64>;

    /// `len` bytes of blob `id` from `offset`, or `None` if the blob is not
    /// held or the range is outside it.
    fn read_blob(&self, id: &ModelId, offset: u64, len: usize) -> Option<Vec<u8>>;

    /// The chunk manifest of blob `id`. The default reads the blob through
    /// [`Provider::read_blob`]; the network caches the result, and a node may
    /// override this to return a manifest it stored with the blob.
    fn manifest(&self, id: &ModelId) -> Option<Manifest> {
        let size = self.blob_len(id)?;
        Manifest::from_reader(size, |offset, len| self.read_blob(id, offset, len))
    }

    /// Runs an inference for `from`. `Err` carries a message for the caller
    /// (truncated to 1 KiB on the wire).
    fn infer(&self, from: PeerId, request: InferRequest) -> Result<Vec<u8>, String> {
        let _ = (from, request);
        Err("this node serves no inference".into())
    }

    /// A page of the fraud evidence this node holds, for a peer's evidence
    /// sync: encoded evidence with ids greater than `after` (all if `None`)
    /// in ascending id order, at most `max_items` items and `max_bytes` in
    /// all, each at most `max_item_bytes`; and whether more follow.
    fn evidence_page(
        &self,
        after: Option<&Digest32>,
        max_items: usize,
        max_bytes: usize,
        max_item_bytes: usize,
    ) -> (Vec<Vec<u8>>, bool) {
        let _ = (after, max_items, max_bytes, max_item_bytes);
        (Vec::new(), false)
    }

    /// The encoded receipt with id `id`, if this node keeps it.
    fn receipt(&self, id: &Digest32) -> Option<Vec<u8>> {
        let _ = id;
        None
    }
}
