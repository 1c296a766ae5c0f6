//! Framing of wire messages on libp2p request-response streams.
//!
//! Each request and each response is one frame: a little-endian `u32` body
//! length, then the body (see [`crate::wire`]). The length is checked
//! against the message type's limit before any of the body is read, and the
//! buffer grows only as bytes actually arrive, so a peer that declares a
//! large frame and then trickles gains nothing.
//!
//! A request that is too large or does not decode is delivered as
//! [`Inbound::Invalid`] rather than as a stream error, because libp2p drops
//! inbound read errors without telling the behaviour, and the driver must
//! know who sent it to hold it against them. A response that is too large or
//! does not decode fails the request with an [`io::Error`] of kind
//! `InvalidData` carrying the [`WireError`] ([`wire_error`] finds it).

use std::io;
use std::marker::PhantomData;
use std::sync::Arc;

use libp2p::StreamProtocol;
use libp2p::futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response;

use crate::config::Limits;
use crate::manifest::CHUNK_SIZE;
use crate::wire::WireError;
use crate::wire::messages::{
    BlobRequest, BlobResponse, InferRequest, InferResponse, ReceiptRequest, ReceiptResponse, WireMessage,
};
use crate::wire::sync::{SyncRequest, SyncResponse};

/// Blob transfer: manifests and chunks.
pub const BLOB_PROTOCOL: StreamProtocol = StreamProtocol::new("/veris/blob/1");
/// Inference requests.
pub const INFER_PROTOCOL: StreamProtocol = StreamProtocol::new("/veris/infer/1");
/// Receipt look-ups by id.
pub const RECEIPT_PROTOCOL: StreamProtocol = StreamProtocol::new("/veris/receipt/1");
/// Evidence sync: paging through a peer's fraud evidence on connection.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/veris/evidence-sync/1");
/// Kademlia, under a Veris-specific name so Veris nodes form their own DHT.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/veris/kad/1.0.0");
/// Identify's protocol version string.
pub const IDENTIFY_VERSION: &str = "/veris/id/1";

pub type BlobCodec = WireCodec<BlobRequest, BlobResponse>;
pub type InferCodec = WireCodec<InferRequest, InferResponse>;
pub type ReceiptCodec = WireCodec<ReceiptRequest, ReceiptResponse>;
pub type SyncCodec = WireCodec<SyncRequest, SyncResponse>;

/// A request as read from a peer: the message, or why its bytes were refused.
/// Outbound requests are always [`Inbound::Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound<M> {
    Message(M),
    Invalid(WireError),
}

/// A request-response codec for one pair of wire message types.
#[derive(Debug)]
pub struct WireCodec<Req, Resp> {
    limits: Arc<Limits>,
    _messages: PhantomData<fn() -> (Req, Resp)>,
}

impl<Req, Resp> Clone for WireCodec<Req, Resp> {
    fn clone(&self) -> Self {
        WireCodec {
            limits: self.limits.clone(),
            _messages: PhantomData,
        }
    }
}

impl<Req, Resp> WireCodec<Req, Resp> {
    pub fn new(limits: Arc<Limits>) -> Self {
        WireCodec {
            limits,
            _messages: PhantomData,
        }
    }
}

/// The [`WireError`] inside an I/O error raised by this codec, if it is one.
pub fn wire_error(e: &io::Error) -> Option<&WireError> {
    e.get_ref()?.downcast_ref::<WireError>()
}

fn invalid(e: WireError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// First allocation of a frame body: a whole chunk frame, so that blob
/// transfer reads without copying; larger bodies grow by doubling as their
/// bytes arrive.
const FIRST_READ: usize = CHUNK_SIZE + 256;

/// Reads one frame of at most `max` body bytes.
pub async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Err(invalid(WireError::Oversized { max, got: len as u64 }));
    }
    let mut body = vec![0u8; len.min(FIRST_READ)];
    io.read_exact(&mut body).await?;
    while body.len() < len {
        // Zeroed pieces come from the allocator, not a byte loop; each doubles what arrived.
        let mut piece = vec![0u8; (len - body.len()).min(body.len())];
        io.read_exact(&mut piece).await?;
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// Writes one frame.
pub async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
    io.write_all(&len.to_le_bytes()).await?;
    io.write_all(body).await?;
    io.flush().await
}

async fn read_message<M: WireMessage, T: AsyncRead + Unpin + Send>(io: &mut T, limits: &Limits) -> io::Result<M> {
    let body = read_frame(io, M::max_body(limits)).await?;
    M::decode(&body, limits).map_err(invalid)
}

impl<Req: WireMessage, Resp: WireMessage> request_response::Codec for WireCodec<Req, Resp> {
    type Protocol = StreamProtocol;
    type Request = Inbound<Req>;
    type Response = Resp;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Inbound<Req>>
    where
        T: AsyncRead + Unpin + Send,
    {
        match read_message(io, &self.limits).await {
            Ok(message) => Ok(Inbound::Message(message)),
            Err(e) => match wire_error(&e) {
                Some(wire) => Ok(Inbound::Invalid(wire.clone())),
                None => Err(e),
            },
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Resp>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io, &self.limits).await
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, req: Inbound<Req>) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        match req {
            Inbound::Message(req) => write_frame(io, &req.encode()).await,
            Inbound::Invalid(e) => Err(io::Error::new(io::ErrorKind::InvalidInput, e)),
        }
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, res: Resp) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res.encode()).await
    }
}
