//! Typed errors: decoding hostile bytes, verification failures and misuse of the prover.

use thiserror::Error;

/// Why bytes could not be decoded into a proof object.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended before the object did.
    #[error("input truncated")]
    Truncated,
    /// Bytes were left over after the object.
    #[error("{extra} trailing bytes after the encoded object")]
    TrailingBytes {
        /// Number of bytes left over.
        extra: usize,
    },
    /// A field element encoding was not the canonical representative (`>= p`).
    #[error("non-canonical field element encoding")]
    NonCanonicalField,
    /// A length prefix exceeded its limit.
    #[error("{what}: length {got} exceeds the limit {max}")]
    TooLarge {
        /// What was being decoded.
        what: &'static str,
        /// The length found.
        got: u64,
        /// The largest length allowed.
        max: u64,
    },
    /// A length differed from the one the verifier's parameters fix.
    #[error("{what}: expected {expected}, got {got}")]
    Mismatch {
        /// What was being decoded.
        what: &'static str,
        /// The length the parameters require.
        expected: u64,
        /// The length found.
        got: u64,
    },
    /// A structurally invalid value (e.g. unsorted query indices).
    #[error("invalid encoding: {0}")]
    Invalid(&'static str),
}

/// Why a proof was rejected. Every variant is a rejection; none is a "maybe".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// A proof object has the wrong shape for the statement being checked.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        /// What was checked.
        what: &'static str,
        /// The size the statement requires.
        expected: usize,
        /// The size found.
        got: usize,
    },
    /// A sumcheck round polynomial does not satisfy g(0) + g(1) = claim.
    #[error("sumcheck round {round}: g(0) + g(1) differs from the running claim")]
    SumcheckRound {
        /// The round (0-based) that failed.
        round: usize,
    },
    /// A Merkle authentication path does not lead to the committed root.
    #[error("Merkle opening does not match the committed root")]
    MerklePath,
    /// A queried column is inconsistent with a combined row sent by the prover.
    #[error("PCS column {column} is inconsistent with the {which} row combination")]
    PcsColumn {
        /// Codeword position of the column.
        column: usize,
        /// Which combination ("proximity" or "evaluation").
        which: &'static str,
    },
    /// The opened value differs from the value implied by the evaluation row.
    #[error("PCS evaluation does not match the claimed value")]
    PcsValue,
    /// The opened columns are not exactly the ones the transcript selects.
    #[error("PCS opened columns differ from the queried columns")]
    PcsQueries,
    /// A lookup's fractional sums do not balance (some value is not in the table).
    #[error("lookup sums do not balance")]
    LookupSum,
    /// A denominator of a lookup sum is zero.
    #[error("lookup denominator is zero")]
    LookupZeroDenominator,
    /// A final claim of a reduction does not match the value it must equal.
    #[error("{0}: final claim mismatch")]
    FinalClaim(&'static str),
}

/// Misuse of a prover API (inconsistent inputs); never caused by a proof.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProverError {
    /// Inputs of inconsistent or unsupported size.
    #[error("{what}: {detail}")]
    InvalidInput {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A witness value is not in the lookup table.
    #[error("lookup value at index {index} is not in the table")]
    NotInTable {
        /// Index of the first offending value.
        index: usize,
    },
    /// A challenge hit a value that makes a denominator zero (probability ≈ n/|E|).
    #[error("challenge produced a zero denominator; negligible-probability event")]
    UnluckyChallenge,
}
