//! Canonical binary encoding of receipts (format version 1).
//!
//! ```text
//! receipt := "VRSR", u16 format, u8 mode, cid (36 bytes: CIDv1 raw sha2-256),
//!            str engine_id, str engine_version, input_digest (32),
//!            u8 has_inputs (0|1), [tensors inputs], tensors outputs, output_digest (32),
//!            address (20), public_key (33, compressed SEC1), u64 timestamp_ms, nonce (32),
//!            u8 evidence kind, signature (65, r || s || v), [zk]
//! zk      := (evidence kind 2 only) str system, cid verifying_key (36),
//!            bytes key, bytes statement, bytes proof
//! str     := u8 length, UTF-8 bytes
//! bytes   := u32 length, bytes (bounded by the limits in [`crate::zk_proof`])
//! ```
//! Integers are little-endian; `tensors` is [`crate::tensor_codec`]. The
//! decoder rejects unknown versions, modes and evidence kinds, trailing
//! bytes and anything over its limits, so every accepted byte string is the
//! encoding of exactly one receipt.

use crate::digest::{Digest32, Nonce};
use crate::id::{CID_BYTES, ModelId};
use crate::key::{Address, PublicKey, Signature};
use crate::receipt::{EngineId, Evidence, Mode, Operator, RECEIPT_FORMAT_VERSION, Receipt};
use crate::tensor::{TensorError, TensorLimits};
use crate::tensor_codec::{Reader, read_tensors, write_tensors};
use crate::zk_proof::{MAX_ZK_KEY_BYTES, MAX_ZK_PROOF_BYTES, MAX_ZK_STATEMENT_BYTES, ZkProof};

/// Leading bytes of every encoded receipt.
pub const MAGIC: &[u8; 4] = b"VRSR";

/// Why bytes are not a receipt.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("not a Veris receipt (bad magic bytes)")]
    Magic,
    #[error("unsupported receipt format version {0} (this build reads version {RECEIPT_FORMAT_VERSION})")]
    Version(u16),
    #[error("malformed receipt: {0}")]
    Malformed(String),
    #[error("receipt tensors: {0}")]
    Tensors(#[from] TensorError),
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let bytes = &s.as_bytes()[..s.len().min(255)];
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

/// Encodes a receipt. Engine strings longer than 255 bytes are truncated,
/// which the decoder's round-trip check then refuses; engines have short names.
pub fn encode(r: &Receipt) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&r.format.to_le_bytes());
    out.push(r.mode.code());
    out.extend_from_slice(&r.model.to_cid_bytes());
    put_str(&mut out, &r.engine.id);
    put_str(&mut out, &r.engine.version);
    out.extend_from_slice(&r.input_digest.0);
    out.push(r.inputs.is_some() as u8);
    if let Some(inputs) = &r.inputs {
        write_tensors(inputs, &mut |b| out.extend_from_slice(b));
    }
    write_tensors(&r.outputs, &mut |b| out.extend_from_slice(b));
    out.extend_from_slice(&r.output_digest.0);
    out.extend_from_slice(&r.operator.address.0);
    out.extend_from_slice(&r.operator.public_key.0);
    out.extend_from_slice(&r.timestamp_ms.to_le_bytes());
    out.extend_from_slice(&r.nonce.0);
    match &r.evidence {
        Evidence::Signed { signature } => {
            out.push(1);
            out.extend_from_slice(&signature.0);
        }
        Evidence::Zk { signature, proof } => {
            out.push(2);
            out.extend_from_slice(&signature.0);
            put_str(&mut out, &proof.system);
            out.extend_from_slice(&proof.verifying_key.to_cid_bytes());
            for bytes in [&proof.key, &proof.statement, &proof.proof] {
                out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }
    out
}

fn get_bytes(r: &mut Reader<'_>, what: &str, max: usize) -> Result<Vec<u8>, DecodeError> {
    let len = r.u32(what).map_err(DecodeError::Malformed)? as usize;
    if len > max {
        return Err(DecodeError::Malformed(format!("{what} of {len} bytes exceeds {max}")));
    }
    Ok(r.take(len, what).map_err(DecodeError::Malformed)?.to_vec())
}

fn get_zk_proof(r: &mut Reader<'_>) -> Result<ZkProof, DecodeError> {
    let m = DecodeError::Malformed;
    Ok(ZkProof {
        system: get_str(r, "proof system")?,
        verifying_key: ModelId::from_cid_bytes(r.take(CID_BYTES, "verifying key id").map_err(m)?)
            .map_err(|e| m(e.to_string()))?,
        key: get_bytes(r, "verifying key", MAX_ZK_KEY_BYTES)?,
        statement: get_bytes(r, "statement", MAX_ZK_STATEMENT_BYTES)?,
        proof: get_bytes(r, "proof", MAX_ZK_PROOF_BYTES)?,
    })
}

fn get_str(r: &mut Reader<'_>, what: &str) -> Result<String, DecodeError> {
    let len = r.u8(what).map_err(DecodeError::Malformed)? as usize;
    let bytes = r.take(len, what).map_err(DecodeError::Malformed)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::Malformed(format!("{what} is not UTF-8")))
}

/// Decodes a receipt from untrusted bytes under `limits`.
pub fn decode(bytes: &[u8], limits: &TensorLimits) -> Result<Receipt, DecodeError> {
    let m = DecodeError::Malformed;
    let mut r = Reader::new(bytes);
    if r.take(4, "magic").map_err(m)? != MAGIC {
        return Err(DecodeError::Magic);
    }
    let format = r.u16("format").map_err(m)?;
    if format != RECEIPT_FORMAT_VERSION {
        return Err(DecodeError::Version(format));
    }
    let mode_code = r.u8("mode").map_err(m)?;
    let mode = Mode::from_code(mode_code).ok_or_else(|| m(format!("unknown mode code {mode_code}")))?;
    let model = ModelId::from_cid_bytes(r.take(CID_BYTES, "model id").map_err(m)?).map_err(|e| m(e.to_string()))?;
    let engine = EngineId {
        id: get_str(&mut r, "engine id")?,
        version: get_str(&mut r, "engine version")?,
    };
    let input_digest = Digest32(r.array("input digest").map_err(m)?);
    let inputs = match r.u8("inputs flag").map_err(m)? {
        0 => None,
        1 => Some(read_tensors(&mut r, limits)?),
        other => return Err(m(format!("inputs flag must be 0 or 1, got {other}"))),
    };
    let outputs = read_tensors(&mut r, limits)?;
    let output_digest = Digest32(r.array("output digest").map_err(m)?);
    let address = Address(r.array("operator address").map_err(m)?);
    let public_key = PublicKey(r.array("operator public key").map_err(m)?);
    let timestamp_ms = r.u64("timestamp").map_err(m)?;
    let nonce = Nonce(r.array("nonce").map_err(m)?);
    let evidence = match r.u8("evidence kind").map_err(m)? {
        1 => Evidence::Signed {
            signature: Signature(r.array("signature").map_err(m)?),
        },
        2 => Evidence::Zk {
            signature: Signature(r.array("signature").map_err(m)?),
            proof: Box::new(get_zk_proof(&mut r)?),
        },
        other => return Err(m(format!("unknown evidence kind {other}"))),
    };
    if r.remaining() != 0 {
        return Err(m(format!("{} trailing bytes", r.remaining())));
    }
    Ok(Receipt {
        format,
        mode,
        model,
        engine,
        input_digest,
        inputs,
        outputs,
        output_digest,
        operator: Operator { address, public_key },
        timestamp_ms,
        nonce,
        evidence,
    })
}
