//! Quorum certificates: the signatures of the operators that agreed, bit
//! for bit, on one replicated job's result.
//!
//! A [`QuorumCertificate`] is one [`JobStatement`] and the
//! [`JobSignature`]s of the operators that signed it. It is checked
//! offline against the verifier's own policy — the operators it accepts
//! ([`AcceptedOperators`]) and how many of them must have signed (the
//! quorum) — by [`verify_certificate`]:
//!
//! - the statement's format is known and at most [`MAX_SIGNERS`] signatures come with it;
//! - every signature is valid and made by the key it names, whose address
//!   it names (one bad signature fails the whole certificate: an honest
//!   entry node only includes signatures it checked);
//! - signatures by operators the verifier does not accept are ignored, and
//!   an operator that appears more than once counts once;
//! - at least `quorum` distinct accepted operators remain.
//!
//! The certificate's statement is what the result is: its output digest
//! binds the outputs, its input digest the inputs, its model id the model.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::job::{JobError, JobSignature, JobStatement, SignedJob};
use crate::key::{Address, OperatorKey, PublicKey};

/// Most signatures a certificate may carry.
pub const MAX_SIGNERS: usize = 64;

/// A job statement and the signatures of the operators that agreed on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuorumCertificate {
    pub statement: JobStatement,
    pub signers: Vec<JobSignature>,
}

impl QuorumCertificate {
    /// The certificate of `statement` signed by each of `keys` (tests, and
    /// operators co-signing locally).
    pub fn sign_by(statement: JobStatement, keys: &[&OperatorKey]) -> QuorumCertificate {
        let signers = keys.iter().map(|k| JobSignature::sign(&statement, k)).collect();
        QuorumCertificate { statement, signers }
    }

    /// The certificate of signed statements that all state `statement`;
    /// statements about anything else are left out.
    pub fn collect<'a>(statement: JobStatement, signed: impl IntoIterator<Item = &'a SignedJob>) -> QuorumCertificate {
        let signers = signed
            .into_iter()
            .filter(|s| s.statement == statement)
            .map(|s| s.signer)
            .collect();
        QuorumCertificate { statement, signers }
    }
}

/// The operators a verifier accepts as signers, by address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptedOperators(BTreeSet<Address>);

/// Why a list of operators cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorListError {
    #[error("`{entry}` is neither an address (0x + 40 hex digits) nor a public key (0x + 66 hex digits)")]
    Entry { entry: String },
    #[error("`{entry}` is not a valid secp256k1 public key")]
    Key { entry: String },
    #[error("the operator list is empty")]
    Empty,
}

impl AcceptedOperators {
    pub fn new(addresses: impl IntoIterator<Item = Address>) -> Self {
        AcceptedOperators(addresses.into_iter().collect())
    }

    /// Parses addresses and compressed public keys separated by commas,
    /// whitespace or new lines; `#` starts a comment running to the end of its line.
    pub fn parse_list(text: &str) -> Result<Self, OperatorListError> {
        let mut set = BTreeSet::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            for entry in line
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|e| !e.is_empty())
            {
                set.insert(parse_operator(entry)?);
            }
        }
        if set.is_empty() {
            return Err(OperatorListError::Empty);
        }
        Ok(AcceptedOperators(set))
    }

    pub fn contains(&self, address: &Address) -> bool {
        self.0.contains(address)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Address> {
        self.0.iter()
    }
}

fn parse_operator(entry: &str) -> Result<Address, OperatorListError> {
    if let Ok(address) = entry.parse::<Address>() {
        return Ok(address);
    }
    let key = entry
        .parse::<PublicKey>()
        .map_err(|_| OperatorListError::Entry { entry: entry.into() })?;
    key.address()
        .map_err(|_| OperatorListError::Key { entry: entry.into() })
}

/// Why a certificate does not establish its statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("a quorum of 0 certifies nothing")]
    ZeroQuorum,
    #[error("the statement is invalid: {0}")]
    Statement(JobError),
    #[error("{got} signatures exceed the limit of {max}")]
    TooManySigners { max: usize, got: usize },
    #[error("signature {index}: {source}")]
    Signer { index: usize, source: JobError },
    #[error(
        "{got} distinct accepted operators signed, the quorum is {need} \
         ({unaccepted} signatures by operators not accepted, {duplicates} duplicates)"
    )]
    BelowQuorum {
        need: usize,
        got: usize,
        unaccepted: usize,
        duplicates: usize,
    },
}

/// What a certificate that verified establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certified {
    /// The distinct accepted operators that signed, in address order.
    pub signers: Vec<Address>,
    /// Signers that were valid but not accepted, in address order.
    pub unaccepted: Vec<Address>,
}

/// Checks `cert` against the operators the verifier accepts and its quorum.
pub fn verify_certificate(
    cert: &QuorumCertificate,
    accepted: &AcceptedOperators,
    quorum: usize,
) -> Result<Certified, CertificateError> {
    if quorum == 0 {
        return Err(CertificateError::ZeroQuorum);
    }
    cert.statement.check_format().map_err(CertificateError::Statement)?;
    if cert.signers.len() > MAX_SIGNERS {
        return Err(CertificateError::TooManySigners {
            max: MAX_SIGNERS,
            got: cert.signers.len(),
        });
    }
    let hash = cert.statement.signing_hash();
    let (mut signers, mut unaccepted) = (BTreeSet::new(), BTreeSet::new());
    let mut duplicates = 0;
    for (index, sig) in cert.signers.iter().enumerate() {
        sig.check(&hash)
            .map_err(|source| CertificateError::Signer { index, source })?;
        let address = sig.operator.address;
        let fresh = if accepted.contains(&address) {
            signers.insert(address)
        } else {
            unaccepted.insert(address)
        };
        if !fresh {
            duplicates += 1;
        }
    }
    if signers.len() < quorum {
        return Err(CertificateError::BelowQuorum {
            need: quorum,
            got: signers.len(),
            unaccepted: unaccepted.len(),
            duplicates,
        });
    }
    Ok(Certified {
        signers: signers.into_iter().collect(),
        unaccepted: unaccepted.into_iter().collect(),
    })
}
