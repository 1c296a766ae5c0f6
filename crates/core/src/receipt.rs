//! Receipts: the signed record of one inference.
//!
//! A receipt names what ran (model id, engine), on what (input digest, and
//! by default the inputs themselves), what came out (outputs and their
//! digest), who ran it (operator address and public key), when, and the
//! evidence for it. Every receipt carries the operator's signature over its
//! EIP-712 hash ([`crate::eip712`]); a [`Mode::Zk`] receipt also carries a
//! zero-knowledge proof of the computation ([`crate::zk_proof`]).

use serde::{Deserialize, Serialize};

use crate::digest::{Digest32, Nonce};
use crate::id::ModelId;
use crate::key::{Address, OperatorKey, PublicKey, Signature};
use crate::tensor::TensorMap;
use crate::tensor_codec;
use crate::zk_proof::ZkProof;

/// The receipt format this build writes and verifies.
pub const RECEIPT_FORMAT_VERSION: u16 = 1;

/// How much evidence a receipt carries (see the design document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The operator's signature over a float-engine result: attribution
    /// and accountability.
    Signed,
    /// The operator's signature over an exact-engine result, which anyone
    /// can replay bit for bit on any machine to prove a lie.
    Exact,
    /// An exact-engine result with a zero-knowledge proof that the
    /// committed model produced it, checkable without the weights.
    Zk,
}

impl Mode {
    /// Code used in the EIP-712 struct and the binary encoding.
    pub fn code(self) -> u8 {
        match self {
            Mode::Signed => 1,
            Mode::Exact => 2,
            Mode::Zk => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<Mode> {
        match code {
            1 => Some(Mode::Signed),
            2 => Some(Mode::Exact),
            3 => Some(Mode::Zk),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Signed => "signed",
            Mode::Exact => "exact",
            Mode::Zk => "zk",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "signed" => Ok(Mode::Signed),
            "exact" => Ok(Mode::Exact),
            "zk" => Ok(Mode::Zk),
            other => Err(format!("unknown mode `{other}` (supported: signed, exact, zk)")),
        }
    }
}

/// The engine that computed the outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineId {
    pub id: String,
    pub version: String,
}

/// Who computed the outputs. `address` must be the address of `public_key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub address: Address,
    pub public_key: PublicKey,
}

/// The evidence attached to a receipt, by mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Evidence {
    /// secp256k1 signature over [`Receipt::signing_hash`].
    Signed { signature: Signature },
    /// The signature, and a proof of the computation.
    Zk { signature: Signature, proof: Box<ZkProof> },
}

impl Evidence {
    /// Whether this kind of evidence is what `mode` calls for.
    pub fn suits(&self, mode: Mode) -> bool {
        match self {
            Evidence::Signed { .. } => matches!(mode, Mode::Signed | Mode::Exact),
            Evidence::Zk { .. } => mode == Mode::Zk,
        }
    }

    /// The operator's signature over [`Receipt::signing_hash`].
    pub fn signature(&self) -> &Signature {
        match self {
            Evidence::Signed { signature } | Evidence::Zk { signature, .. } => signature,
        }
    }

    /// The zero-knowledge proof, if this evidence has one.
    pub fn zk_proof(&self) -> Option<&ZkProof> {
        match self {
            Evidence::Signed { .. } => None,
            Evidence::Zk { proof, .. } => Some(proof),
        }
    }
}

/// One inference's receipt. `inputs` is absent when the caller chose to
/// keep its inputs private; the input digest still binds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub format: u16,
    pub mode: Mode,
    pub model: ModelId,
    pub engine: EngineId,
    pub input_digest: Digest32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<TensorMap>,
    pub outputs: TensorMap,
    pub output_digest: Digest32,
    pub operator: Operator,
    pub timestamp_ms: u64,
    pub nonce: Nonce,
    pub evidence: Evidence,
}

/// Everything a receipt states before the evidence is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub model: ModelId,
    pub engine: EngineId,
    pub inputs: TensorMap,
    pub outputs: TensorMap,
    pub timestamp_ms: u64,
    pub nonce: Nonce,
}

impl Receipt {
    /// Signs `statement` as `key`, producing a [`Mode::Signed`] receipt.
    /// With `embed_inputs` false the inputs are left out (their digest stays).
    pub fn sign(statement: Statement, key: &OperatorKey, embed_inputs: bool) -> Receipt {
        Receipt::sign_as(Mode::Signed, statement, key, embed_inputs)
    }

    /// Signs `statement` as `key` in `mode`, with the signature as the only
    /// evidence (what [`Mode::Signed`] and [`Mode::Exact`] call for).
    pub fn sign_as(mode: Mode, statement: Statement, key: &OperatorKey, embed_inputs: bool) -> Receipt {
        let mut receipt = Receipt {
            format: RECEIPT_FORMAT_VERSION,
            mode,
            model: statement.model,
            engine: statement.engine,
            input_digest: tensor_codec::digest(&statement.inputs),
            inputs: embed_inputs.then_some(statement.inputs),
            output_digest: tensor_codec::digest(&statement.outputs),
            outputs: statement.outputs,
            operator: Operator {
                address: key.address(),
                public_key: key.public_key(),
            },
            timestamp_ms: statement.timestamp_ms,
            nonce: statement.nonce,
            evidence: Evidence::Signed {
                signature: Signature([0; 65]),
            },
        };
        let signature = key.sign_digest(&receipt.signing_hash());
        receipt.evidence = Evidence::Signed { signature };
        receipt
    }

    /// Signs `statement` as `key` in [`Mode::Zk`], attaching `proof`.
    pub fn sign_zk(statement: Statement, key: &OperatorKey, embed_inputs: bool, proof: ZkProof) -> Receipt {
        let mut receipt = Receipt::sign_as(Mode::Zk, statement, key, embed_inputs);
        receipt.evidence = Evidence::Zk {
            signature: *receipt.evidence.signature(),
            proof: Box::new(proof),
        };
        receipt
    }

    /// The EIP-712 hash the evidence signs; also the receipt's id.
    pub fn signing_hash(&self) -> [u8; 32] {
        crate::eip712::receipt_hash(self)
    }

    /// The receipt id: its EIP-712 hash, as hex.
    pub fn id(&self) -> Digest32 {
        Digest32(self.signing_hash())
    }
}
