//! Replicated jobs: the one statement that k operators sign identically.
//!
//! A replicated job is an exact-engine inference that an entry node hands
//! to several independent operators. Each runs it and signs a
//! [`JobStatement`]: the job id (a nonce the entry node chose), the model,
//! the engine, the input digest and the output digest. The statement names
//! no operator and no time, so every honest operator signs the *same*
//! statement (the exact engine gives every honest operator the same bits),
//! and their signatures can be collected into a
//! [`QuorumCertificate`](crate::quorum::QuorumCertificate). An operator that
//! signs a different output digest for the same job has signed fraud
//! evidence against itself ([`crate::fraud`]).
//!
//! ## Signing hash (EIP-712)
//!
//! Same domain as receipts (`EIP712Domain(string name,string version)`,
//! `"Veris"`, `"1"`, see [`crate::eip712`]); the signed struct is
//! [`JOB_TYPE`]:
//!
//! ```text
//! ReplicatedJob(uint16 format,bytes32 jobId,bytes32 model,string engine,string engineVersion,
//!               bytes32 inputDigest,bytes32 outputDigest)
//! ```
//!
//! and the hash `keccak256(0x19 0x01 || domainSeparator || hashStruct(job))`.
//! The type string differs from the receipt's, so no receipt signature is
//! a job signature or the other way round; an EVM contract checks a job
//! signature with `ecrecover` like a receipt's.

use serde::{Deserialize, Serialize};

use crate::digest::{Digest32, Nonce, keccak256};
use crate::eip712::{domain_separator, word_u64};
use crate::id::ModelId;
use crate::key::{Address, KeyError, OperatorKey, Signature, recover_signer};
use crate::receipt::{EngineId, Operator};

/// The job statement format this build writes and verifies.
pub const JOB_FORMAT_VERSION: u16 = 1;
/// The EIP-712 struct type of a job statement.
pub const JOB_TYPE: &str = "ReplicatedJob(uint16 format,bytes32 jobId,bytes32 model,string engine,string engineVersion,bytes32 inputDigest,bytes32 outputDigest)";
/// Longest engine id or engine version accepted in a statement.
pub const MAX_ENGINE_TEXT: usize = 64;

/// What every operator of one replicated job signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobStatement {
    pub format: u16,
    /// Chosen at random by the entry node; the same for every operator of the job.
    pub job_id: Nonce,
    pub model: ModelId,
    pub engine: EngineId,
    /// [`crate::tensor_codec::digest`] of the inputs.
    pub input_digest: Digest32,
    /// [`crate::tensor_codec::digest`] of the outputs.
    pub output_digest: Digest32,
}

/// Why a job statement or one operator's signature over it is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("unsupported job format version {got} (expected {JOB_FORMAT_VERSION})")]
    Format { got: u16 },
    #[error("engine {field} is {len} bytes long (at most {MAX_ENGINE_TEXT})")]
    EngineText { field: &'static str, len: usize },
    #[error("operator public key is invalid: {0}")]
    Key(KeyError),
    #[error("operator public key belongs to {key_address}, the statement names {address}")]
    OperatorMismatch { address: Address, key_address: Address },
    #[error("signature of {operator} is malformed: {reason}")]
    Signature { operator: Address, reason: KeyError },
    #[error("signature attributed to {operator} was made by {signer}")]
    WrongSigner { operator: Address, signer: Address },
}

impl JobStatement {
    /// A statement of the current format.
    pub fn new(
        job_id: Nonce,
        model: ModelId,
        engine: EngineId,
        input_digest: Digest32,
        output_digest: Digest32,
    ) -> Self {
        JobStatement {
            format: JOB_FORMAT_VERSION,
            job_id,
            model,
            engine,
            input_digest,
            output_digest,
        }
    }

    /// Checks the format version and the engine strings' lengths.
    pub fn check_format(&self) -> Result<(), JobError> {
        if self.format != JOB_FORMAT_VERSION {
            return Err(JobError::Format { got: self.format });
        }
        for (field, text) in [("id", &self.engine.id), ("version", &self.engine.version)] {
            if text.len() > MAX_ENGINE_TEXT {
                return Err(JobError::EngineText { field, len: text.len() });
            }
        }
        Ok(())
    }

    /// `hashStruct(ReplicatedJob)`.
    pub fn struct_hash(&self) -> [u8; 32] {
        keccak256(&[
            &keccak256(&[JOB_TYPE.as_bytes()]),
            &word_u64(self.format.into()),
            &self.job_id.0,
            &self.model.digest().0,
            &keccak256(&[self.engine.id.as_bytes()]),
            &keccak256(&[self.engine.version.as_bytes()]),
            &self.input_digest.0,
            &self.output_digest.0,
        ])
    }

    /// The EIP-712 digest operators sign; also the statement's id.
    pub fn signing_hash(&self) -> [u8; 32] {
        keccak256(&[&[0x19, 0x01], &domain_separator(), &self.struct_hash()])
    }

    /// The statement's id: its signing hash.
    pub fn id(&self) -> Digest32 {
        Digest32(self.signing_hash())
    }

    /// Whether `other` is a statement about the same job (same id, model,
    /// engine and inputs), whatever output it states.
    pub fn same_job(&self, other: &JobStatement) -> bool {
        self.format == other.format
            && self.job_id == other.job_id
            && self.model == other.model
            && self.engine == other.engine
            && self.input_digest == other.input_digest
    }
}

/// One operator's signature over a job statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSignature {
    pub operator: Operator,
    pub signature: Signature,
}

impl JobSignature {
    /// Signs `statement` as `key`.
    pub fn sign(statement: &JobStatement, key: &OperatorKey) -> JobSignature {
        JobSignature {
            operator: Operator {
                address: key.address(),
                public_key: key.public_key(),
            },
            signature: key.sign_digest(&statement.signing_hash()),
        }
    }

    /// Checks that the named operator's key has its address and made the
    /// signature over `hash` (a statement's [`JobStatement::signing_hash`]).
    ///
    /// One public key recovery: when the signature recovers to the named key,
    /// the recovered point gives the key's address without decompressing the
    /// named key again. A failure is reported as if the key were checked
    /// first (an invalid key or a key of another address before a bad
    /// signature), whatever the order of the work.
    pub fn check(&self, hash: &[u8; 32]) -> Result<(), JobError> {
        let address = self.operator.address;
        let recovered = recover_signer(hash, &self.signature);
        if let Ok((signer, signer_address)) = recovered
            && signer == self.operator.public_key
        {
            if signer_address != address {
                return Err(JobError::OperatorMismatch {
                    address,
                    key_address: signer_address,
                });
            }
            return Ok(());
        }
        let key_address = self.operator.public_key.address().map_err(JobError::Key)?;
        if key_address != address {
            return Err(JobError::OperatorMismatch { address, key_address });
        }
        match recovered {
            Ok((_, signer)) => Err(JobError::WrongSigner {
                operator: address,
                signer,
            }),
            Err(reason) => Err(JobError::Signature {
                operator: address,
                reason,
            }),
        }
    }
}

/// A statement with one operator's signature: what an operator returns for
/// a replicated job, and each half of fraud evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedJob {
    pub statement: JobStatement,
    pub signer: JobSignature,
}

impl SignedJob {
    /// Signs `statement` as `key`.
    pub fn sign(statement: JobStatement, key: &OperatorKey) -> SignedJob {
        let signer = JobSignature::sign(&statement, key);
        SignedJob { statement, signer }
    }

    /// The operator who signed it (once [`SignedJob::check`] passed).
    pub fn operator(&self) -> Address {
        self.signer.operator.address
    }

    /// Checks the statement's format and the signature.
    pub fn check(&self) -> Result<(), JobError> {
        self.statement.check_format()?;
        self.signer.check(&self.statement.signing_hash())
    }
}
