//! A bounded memory of the `exact` receipts seen on gossip, to catch an
//! operator that signs two outputs for one computation (equivocation).
//!
//! A plain receipt has no job id: the exact engine is deterministic, so the
//! "job" is the computation itself. The index is keyed by (operator, model,
//! engine, input digest) — a keccak-256 of them — and holds the first
//! receipt seen for each key. Another receipt of the same key with another
//! output digest is equivocation, whatever its nonce and timestamp. At most
//! `capacity` keys are held, oldest forgotten first.

use std::collections::{HashMap, VecDeque};

use veris_core::digest::keccak256;
use veris_core::receipt_fraud::{ReceiptClaim, ReceiptEvidence};

/// Domain of the index key.
const KEY_DOMAIN: &[u8] = b"veris/receipt-computation/v1";

/// What observing a receipt found.
#[derive(Debug)]
pub enum Observed {
    /// The first receipt of this operator for this computation.
    New,
    /// The operator stated the same output for it before.
    Repeat,
    /// The operator stated another output for it: the evidence.
    Conflict(Box<ReceiptEvidence>),
}

/// What the index remembers, oldest first.
#[derive(Debug)]
pub struct ReceiptIndex {
    capacity: usize,
    claims: HashMap<[u8; 32], ReceiptClaim>,
    order: VecDeque<[u8; 32]>,
}

/// The (operator, computation) a receipt is about.
fn key_of(claim: &ReceiptClaim) -> [u8; 32] {
    keccak256(&[
        KEY_DOMAIN,
        &claim.operator.address.0,
        &claim.model.digest().0,
        &(claim.engine.id.len() as u64).to_le_bytes(),
        claim.engine.id.as_bytes(),
        &(claim.engine.version.len() as u64).to_le_bytes(),
        claim.engine.version.as_bytes(),
        &claim.format.to_le_bytes(),
        &[claim.mode.code()],
        &claim.input_digest.0,
    ])
}

impl ReceiptIndex {
    pub fn new(capacity: usize) -> Self {
        ReceiptIndex {
            capacity,
            claims: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.claims.len()
    }

    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }

    /// Remembers `claim` (a checked exact receipt) and says whether its
    /// operator stated this computation before, with the same output or
    /// not. Evidence names the two receipts in a canonical order (smaller
    /// receipt id accused), so every node that sees the pair builds the
    /// same evidence, with the same id.
    pub fn observe(&mut self, claim: &ReceiptClaim) -> Observed {
        if self.capacity == 0 {
            return Observed::New;
        }
        let key = key_of(claim);
        if let Some(known) = self.claims.get(&key) {
            if known.output_digest == claim.output_digest {
                return Observed::Repeat;
            }
            let (first, second) = if known.id() < claim.id() {
                (known.clone(), claim.clone())
            } else {
                (claim.clone(), known.clone())
            };
            return Observed::Conflict(Box::new(ReceiptEvidence::new(first, second, None, None)));
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.claims.remove(&old);
            }
        }
        self.claims.insert(key, claim.clone());
        self.order.push_back(key);
        Observed::New
    }
}

#[cfg(test)]
mod tests {
    use veris_core::fraud::Verdict;
    use veris_core::receipt_fraud::verify_receipt_evidence;
    use veris_core::{Mode, ModelId, Nonce, OperatorKey, Receipt, Statement, Tensor, TensorData, TensorLimits};

    use super::*;

    /// An exact receipt of `key` on input `input` with output `output`.
    fn claim(key: &OperatorKey, input: i64, output: i64, nonce: u8) -> ReceiptClaim {
        let tensor = |v| {
            let t = Tensor::new("t", vec![1], TensorData::Int64(vec![v])).unwrap();
            veris_core::TensorMap::from([("t".to_string(), t)])
        };
        let statement = Statement {
            model: ModelId::of_bytes(b"m"),
            engine: crate::exact_engine(),
            inputs: tensor(input),
            outputs: tensor(output),
            timestamp_ms: u64::from(nonce),
            nonce: Nonce([nonce; 32]),
        };
        ReceiptClaim::of(&Receipt::sign_as(Mode::Exact, statement, key, false))
    }

    #[test]
    fn two_outputs_for_one_input_are_equivocation_in_either_order() {
        let liar = OperatorKey::from_secret_bytes(&[5; 32]).unwrap();
        let honest = OperatorKey::from_secret_bytes(&[6; 32]).unwrap();
        let mut forward = ReceiptIndex::new(16);
        assert!(matches!(forward.observe(&claim(&liar, 1, 10, 1)), Observed::New));
        assert!(
            matches!(forward.observe(&claim(&liar, 1, 10, 2)), Observed::Repeat),
            "another request, same output: no conflict"
        );
        assert!(matches!(forward.observe(&claim(&honest, 1, 11, 3)), Observed::New));
        assert!(matches!(forward.observe(&claim(&liar, 2, 12, 4)), Observed::New));
        let Observed::Conflict(evidence) = forward.observe(&claim(&liar, 1, 12, 5)) else {
            panic!("equivocation expected");
        };
        let verdict = verify_receipt_evidence(&evidence, &TensorLimits::default()).unwrap();
        assert_eq!(
            verdict,
            Verdict::Equivocation {
                operator: liar.address()
            }
        );
        let mut backward = ReceiptIndex::new(16);
        backward.observe(&claim(&liar, 1, 12, 5));
        let Observed::Conflict(again) = backward.observe(&claim(&liar, 1, 10, 1)) else {
            panic!("equivocation expected");
        };
        assert_eq!(again.id(), evidence.id(), "canonical order, same evidence");
    }

    #[test]
    fn the_index_is_bounded_and_forgets_the_oldest() {
        let key = OperatorKey::from_secret_bytes(&[7; 32]).unwrap();
        let mut index = ReceiptIndex::new(3);
        for input in 0..10 {
            index.observe(&claim(&key, input, 1, 1));
        }
        assert_eq!(index.len(), 3);
        assert!(
            matches!(index.observe(&claim(&key, 0, 2, 2)), Observed::New),
            "forgotten"
        );
        assert!(matches!(index.observe(&claim(&key, 9, 2, 2)), Observed::Conflict(_)));
        assert!(matches!(
            ReceiptIndex::new(0).observe(&claim(&key, 1, 1, 1)),
            Observed::New
        ));
    }
}
