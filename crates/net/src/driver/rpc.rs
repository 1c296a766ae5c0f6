//! Inference and receipt requests: events of both protocols, outbound calls.

use libp2p::PeerId;
use libp2p::request_response::{Event, Message, OutboundFailure};
use veris_core::receipt_codec;
use veris_core::{Digest32, verify};

use super::{Driver, Reply};
use crate::error::NetError;
use crate::hygiene::Offence;
use crate::protocol::{Inbound, wire_error};
use crate::wire::messages::{InferRequest, InferResponse, ReceiptRequest, ReceiptResponse};

/// Why receipt bytes are not a valid receipt, and the offence of sending them.
pub(super) fn check_receipt(
    bytes: &[u8],
    limits: &crate::config::Limits,
) -> Result<veris_core::Receipt, (Offence, String)> {
    if bytes.len() > limits.max_receipt_bytes {
        return Err((Offence::Oversized, format!("receipt of {} bytes", bytes.len())));
    }
    let receipt =
        receipt_codec::decode(bytes, &limits.receipt_tensors).map_err(|e| (Offence::Malformed, e.to_string()))?;
    let report = verify::verify(&receipt, &limits.receipt_tensors);
    if !report.ok() {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        return Err((Offence::InvalidSignature, failed.join("; ")));
    }
    Ok(receipt)
}

/// The offence in an outbound failure, if the peer's response did not decode.
pub(super) fn response_offence(error: &OutboundFailure) -> Option<Offence> {
    match error {
        OutboundFailure::Io(e) => wire_error(e).map(|w| {
            if w.is_oversized() {
                Offence::Oversized
            } else {
                Offence::Malformed
            }
        }),
        _ => None,
    }
}

impl Driver {
    pub(super) fn send_infer(&mut self, peer: PeerId, request: InferRequest, reply: Reply<Vec<u8>>) {
        if request.body.len() > self.limits.max_infer_request_bytes {
            let _ = reply.send(Err(NetError::Request {
                peer,
                reason: format!("request body exceeds {} bytes", self.limits.max_infer_request_bytes),
            }));
            return;
        }
        let id = self
            .swarm
            .behaviour_mut()
            .infer
            .send_request(&peer, Inbound::Message(request));
        self.infer_requests.insert(id, (peer, reply));
    }

    pub(super) fn send_receipt_request(&mut self, peer: PeerId, id: Digest32, reply: Reply<Option<Vec<u8>>>) {
        let request_id = self
            .swarm
            .behaviour_mut()
            .receipt
            .send_request(&peer, Inbound::Message(ReceiptRequest { id }));
        self.receipt_requests.insert(request_id, (peer, id, reply));
    }

    pub(super) fn on_infer_event(&mut self, event: Event<Inbound<InferRequest>, InferResponse>) {
        match event {
            Event::Message { peer, message, .. } => match message {
                Message::Request {
                    request: Inbound::Message(request),
                    channel,
                    ..
                } => self.serve_infer_request(peer, request, channel),
                Message::Request {
                    request: Inbound::Invalid(error),
                    ..
                } => self.on_invalid_request(peer, &error),
                Message::Response { request_id, response } => {
                    let Some((peer, reply)) = self.infer_requests.remove(&request_id) else {
                        return;
                    };
                    let result = match response {
                        InferResponse::Output(body) => Ok(body),
                        InferResponse::Failed(message) => Err(NetError::Remote { peer, message }),
                        InferResponse::Refused(why) => Err(NetError::Refused { peer, why }),
                    };
                    let _ = reply.send(result);
                }
            },
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(offence) = response_offence(&error) {
                    self.penalise(peer, offence);
                }
                if let Some((peer, reply)) = self.infer_requests.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            // Read failures of valid frames are the transport's; invalid ones arrive as `Inbound::Invalid`.
            Event::InboundFailure { .. } => {}
            Event::ResponseSent { .. } => {}
        }
    }

    pub(super) fn on_receipt_event(&mut self, event: Event<Inbound<ReceiptRequest>, ReceiptResponse>) {
        match event {
            Event::Message { peer, message, .. } => match message {
                Message::Request {
                    request: Inbound::Message(request),
                    channel,
                    ..
                } => self.serve_receipt_request(peer, request, channel),
                Message::Request {
                    request: Inbound::Invalid(error),
                    ..
                } => self.on_invalid_request(peer, &error),
                Message::Response { request_id, response } => {
                    let Some((peer, id, reply)) = self.receipt_requests.remove(&request_id) else {
                        return;
                    };
                    let result = match response {
                        ReceiptResponse::NotFound => Ok(None),
                        ReceiptResponse::Refused(why) => Err(NetError::Refused { peer, why }),
                        ReceiptResponse::Found(bytes) => match check_receipt(&bytes, &self.limits) {
                            Ok(receipt) if receipt.id() == id => Ok(Some(bytes)),
                            Ok(_) => {
                                self.penalise(peer, Offence::ProtocolViolation);
                                Err(NetError::InvalidResponse {
                                    peer,
                                    reason: "receipt has another id than asked".into(),
                                })
                            }
                            Err((offence, reason)) => {
                                self.penalise(peer, offence);
                                Err(NetError::InvalidResponse { peer, reason })
                            }
                        },
                    };
                    let _ = reply.send(result);
                }
            },
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(offence) = response_offence(&error) {
                    self.penalise(peer, offence);
                }
                if let Some((peer, _, reply)) = self.receipt_requests.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            // Read failures of valid frames are the transport's; invalid ones arrive as `Inbound::Invalid`.
            Event::InboundFailure { .. } => {}
            Event::ResponseSent { .. } => {}
        }
    }
}
