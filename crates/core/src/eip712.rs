//! EIP-712 typed-data hashing of receipts, so that an EVM contract can
//! recompute a receipt's hash and check its signature with `ecrecover`.
//!
//! Domain: `EIP712Domain(string name,string version)` with name `"Veris"`
//! and version `"1"`. The domain deliberately has no `chainId` or
//! `verifyingContract`: a receipt is a statement about a computation, valid
//! on any chain and off-chain; replay across chains is harmless because
//! settlement contracts key on the receipt hash itself.
//!
//! The signed struct ([`RECEIPT_TYPE`]):
//! ```text
//! Receipt(uint16 format,uint8 mode,bytes32 model,string engine,string engineVersion,
//!         bytes32 inputDigest,bytes32 outputDigest,address operator,uint64 timestampMs,bytes32 nonce)
//! ```
//! `model` is the sha2-256 digest inside the model's CID; `inputDigest` and
//! `outputDigest` are [`crate::tensor_codec::digest`] of the inputs and outputs.
//! The hash is `keccak256(0x19 0x01 || domainSeparator || hashStruct(receipt))`.

use crate::digest::keccak256;
use crate::receipt::Receipt;

pub const DOMAIN_TYPE: &str = "EIP712Domain(string name,string version)";
pub const DOMAIN_NAME: &str = "Veris";
pub const DOMAIN_VERSION: &str = "1";
pub const RECEIPT_TYPE: &str = "Receipt(uint16 format,uint8 mode,bytes32 model,string engine,string engineVersion,bytes32 inputDigest,bytes32 outputDigest,address operator,uint64 timestampMs,bytes32 nonce)";

pub(crate) fn word_u64(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

pub(crate) fn word_address(a: &[u8; 20]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

/// `hashStruct(EIP712Domain)`.
pub fn domain_separator() -> [u8; 32] {
    keccak256(&[
        &keccak256(&[DOMAIN_TYPE.as_bytes()]),
        &keccak256(&[DOMAIN_NAME.as_bytes()]),
        &keccak256(&[DOMAIN_VERSION.as_bytes()]),
    ])
}

/// `hashStruct(Receipt)`.
pub fn struct_hash(r: &Receipt) -> [u8; 32] {
    keccak256(&[
        &keccak256(&[RECEIPT_TYPE.as_bytes()]),
        &word_u64(r.format.into()),
        &word_u64(r.mode.code().into()),
        &r.model.digest().0,
        &keccak256(&[r.engine.id.as_bytes()]),
        &keccak256(&[r.engine.version.as_bytes()]),
        &r.input_digest.0,
        &r.output_digest.0,
        &word_address(&r.operator.address.0),
        &word_u64(r.timestamp_ms),
        &r.nonce.0,
    ])
}

/// The digest an operator signs: `keccak256(0x1901 || domain || struct)`.
pub fn receipt_hash(r: &Receipt) -> [u8; 32] {
    keccak256(&[&[0x19, 0x01], &domain_separator(), &struct_hash(r)])
}
