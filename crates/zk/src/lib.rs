//! # veris-zk
//!
//! The cryptographic core of Veris's transparent proof system for integer
//! inference programs: a GKR-style system in which MatMul layers are proved by
//! sumcheck, non-linear steps and range checks by LogUp lookups, and weights
//! are committed once with a hash-based multilinear commitment. No trusted
//! setup; every verifier challenge lives in a field of about 2^128 elements.
//! The protocols are specified, with their soundness analysis, in
//! `docs/proof-system.md`.
//!
//! | module | what it is |
//! |---|---|
//! | [`field`] | Goldilocks `F` (p = 2^64 − 2^32 + 1) and its quadratic extension `E = F[X]/(X² − 7)`, canonical encodings |
//! | [`hash`] | the [`Hasher`](hash::Hasher) trait; BLAKE3 (default) and Keccak-256 (for EVM verifiers) |
//! | [`transcript`] | Fiat–Shamir: labelled, length-prefixed absorbs; challenges in `E` by wide reduction |
//! | [`mle`] | multilinear evaluation tables: `eq` tables, in-place folding, evaluation |
//! | [`sumcheck`] | prover and verifier for `Σ_x Σ_t c_t Π P_i(x)` (degree ≤ 8) |
//! | [`merkle`] | Merkle trees with compressed multi-openings |
//! | [`ntt`] | radix-2 NTT and the Reed–Solomon code |
//! | [`pcs`] | Ligero-style multilinear commitment: commit, (batched) open at an `E` point, verify |
//! | [`logup`] | LogUp lookups (tuples, multiplicities) proved by a GKR fractional-sum circuit |
//! | [`codec`] | canonical proof encodings, decoded under explicit limits |
//! | [`infer`] | proofs of exact-engine inference (MLPs and CNNs): keys, statement, verifier; setup and prover with `prover` |
//! | `receipt` | (feature `receipt`, implied by `prover`) the zero-knowledge evidence of Veris receipts and its checker |
//!
//! **Verifier-only build.** The provers and their thread pool (rayon) sit
//! behind the default cargo feature `prover`; `--no-default-features` builds
//! the verifiers alone (no rayon, no threads), e.g. for a browser or a
//! wrapper around an EVM verifier; `--no-default-features --features receipt`
//! adds receipt checking (and `veris-core`), still without prover or engine.
//!
//! **Conventions.** Variable order (first variable = most significant index
//! bit) is fixed in [`mle`]. Every proof object decodes only against the shape
//! the verifier already knows (sizes never come from the prover), rejects
//! non-canonical field elements and trailing bytes, and never panics.
//! Callers must absorb every commitment and public input into the
//! [`Transcript`](transcript::Transcript) before the challenges that depend on them.
//!
//! ```
//! use veris_zk::field::{E, F, Field};
//! use veris_zk::hash::DefaultHash;
//! use veris_zk::mle::evaluate;
//! use veris_zk::pcs::{prover, verifier, PcsParams};
//! use veris_zk::transcript::Transcript;
//!
//! // Commit to a multilinear polynomial in 8 variables and open it at a point.
//! let poly: Vec<F> = (0..256u64).map(F::new).collect();
//! let (commitment, data) = prover::commit::<DefaultHash>(&[poly.clone()], PcsParams::default()).unwrap();
//! let point: Vec<E> = (1..=8u64).map(E::from_u64).collect();
//! let value = evaluate(&poly, &point);
//! let mut t = Transcript::<DefaultHash>::new(b"example");
//! let proof = prover::open(&mut t, &commitment, &data, &point, &[value]).unwrap();
//! let mut t = Transcript::<DefaultHash>::new(b"example");
//! assert!(verifier::verify(&mut t, &commitment, &point, &[value], &proof).is_ok());
//! ```

pub mod codec;
pub mod error;
pub mod field;
pub mod hash;
pub mod infer;
pub mod logup;
pub mod merkle;
pub mod mle;
pub mod ntt;
pub mod pcs;
#[cfg(feature = "receipt")]
pub mod receipt;
pub mod sumcheck;
pub mod transcript;
