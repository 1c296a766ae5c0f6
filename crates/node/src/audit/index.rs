//! A bounded memory of the job statements seen on gossip, to catch an
//! operator that signs two outputs for one job (equivocation).
//!
//! Keyed by (operator, job id); holds at most `capacity` statements and
//! forgets the oldest first, so a flood of statements costs a bounded
//! amount of memory and only makes the index forget sooner.

use std::collections::{HashMap, VecDeque};

use veris_core::fraud::FraudEvidence;
use veris_core::job::SignedJob;
use veris_core::{Address, Nonce};

/// What the index remembers, oldest first.
#[derive(Debug)]
pub struct StatementIndex {
    capacity: usize,
    statements: HashMap<(Address, Nonce), SignedJob>,
    order: VecDeque<(Address, Nonce)>,
}

impl StatementIndex {
    pub fn new(capacity: usize) -> Self {
        StatementIndex {
            capacity,
            statements: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Remembers `signed` (checked by the caller) and returns equivocation
    /// evidence if its operator already signed another output for the same
    /// job. The evidence names the two statements in a canonical order
    /// (smaller statement id accused), so every node that sees the pair
    /// builds the same evidence, with the same id.
    pub fn observe(&mut self, signed: &SignedJob) -> Option<FraudEvidence> {
        if self.capacity == 0 {
            return None;
        }
        let key = (signed.operator(), signed.statement.job_id);
        if let Some(known) = self.statements.get(&key) {
            let (a, b) = (&known.statement, &signed.statement);
            if !a.same_job(b) || a.output_digest == b.output_digest {
                return None;
            }
            let (first, second) = if a.id() < b.id() {
                (known.clone(), signed.clone())
            } else {
                (signed.clone(), known.clone())
            };
            return Some(FraudEvidence::new(first, second, None, None));
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.statements.remove(&old);
            }
        }
        self.statements.insert(key, signed.clone());
        self.order.push_back(key);
        None
    }
}

#[cfg(test)]
mod tests {
    use veris_core::fraud::{Verdict, verify_evidence};
    use veris_core::job::JobStatement;
    use veris_core::{Digest32, EngineId, ModelId, OperatorKey, TensorLimits};

    use super::*;

    fn signed(key: &OperatorKey, job: u8, output: u8) -> SignedJob {
        let engine = EngineId {
            id: "veris-exact".into(),
            version: "1".into(),
        };
        let statement = JobStatement::new(
            Nonce([job; 32]),
            ModelId::of_bytes(b"m"),
            engine,
            Digest32([1; 32]),
            Digest32([output; 32]),
        );
        SignedJob::sign(statement, key)
    }

    #[test]
    fn two_outputs_for_one_job_are_equivocation_in_either_order() {
        let liar = OperatorKey::from_secret_bytes(&[5; 32]).unwrap();
        let honest = OperatorKey::from_secret_bytes(&[6; 32]).unwrap();
        let mut forward = StatementIndex::new(16);
        assert!(forward.observe(&signed(&liar, 1, 10)).is_none());
        assert!(
            forward.observe(&signed(&liar, 1, 10)).is_none(),
            "a repeat is no conflict"
        );
        assert!(forward.observe(&signed(&honest, 1, 11)).is_none(), "another operator");
        let evidence = forward.observe(&signed(&liar, 1, 12)).expect("equivocation");
        let verdict = verify_evidence(&evidence, &TensorLimits::default()).unwrap();
        assert_eq!(
            verdict,
            Verdict::Equivocation {
                operator: liar.address()
            }
        );

        let mut backward = StatementIndex::new(16);
        assert!(backward.observe(&signed(&liar, 1, 12)).is_none());
        let again = backward.observe(&signed(&liar, 1, 10)).expect("equivocation");
        assert_eq!(again.id(), evidence.id(), "canonical order, same evidence");
    }

    #[test]
    fn the_index_is_bounded_and_forgets_the_oldest() {
        let key = OperatorKey::from_secret_bytes(&[7; 32]).unwrap();
        let mut index = StatementIndex::new(3);
        for job in 0..10 {
            index.observe(&signed(&key, job, 1));
        }
        assert_eq!(index.len(), 3);
        assert!(index.observe(&signed(&key, 0, 2)).is_none(), "job 0 was forgotten");
        assert!(index.observe(&signed(&key, 9, 2)).is_some(), "job 9 is remembered");
        assert!(StatementIndex::new(0).observe(&signed(&key, 1, 1)).is_none());
    }
}
