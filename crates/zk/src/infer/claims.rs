//! Where every evaluation claim of the protocol goes, shared by prover and
//! verifier so that both build the two batched-opening claim lists in the
//! same order.
//!
//! A claim on a layer's input or output is checked at once against the
//! public statement when that value is the model's input or output (the
//! verifier evaluates the padded tensor's MLE itself); otherwise it becomes a
//! claim on the witness commitment. Claims on the public index columns of the
//! lookup tables are checked at once; claims on thresholds and weights go to
//! the model commitment.

use super::circuit::{AddLayer, Circuit, PointwiseLayer, RequantLayer, Source};
use super::columns::{binary_value, table_channel, table_value};
use super::key_add::AddKey;
use super::layout::Layout;
use super::opening::Claim;
use super::pointwise::PointTable;
use super::slots::Slot;
use super::statement::Statement;
use super::view::producer_point;
use crate::error::VerifyError;
use crate::field::E;
use crate::logup::LookupClaims;
use crate::mle::evaluate;

/// Collects claims; `check_public` is on for the verifier (a prover's own
/// public checks would only stop it from emitting a proof the verifier rejects anyway).
#[derive(Debug)]
pub(crate) struct ClaimSink<'a> {
    statement: &'a Statement,
    check_public: bool,
    /// Claims on the proof's witness commitment, in protocol order.
    pub witness: Vec<Claim>,
    /// Claims on the model commitment, in protocol order.
    pub model: Vec<Claim>,
}

fn public(ok: bool, what: &'static str) -> Result<(), VerifyError> {
    if ok { Ok(()) } else { Err(VerifyError::FinalClaim(what)) }
}

impl<'a> ClaimSink<'a> {
    pub fn new(statement: &'a Statement, check_public: bool) -> Self {
        Self {
            statement,
            check_public,
            witness: Vec::new(),
            model: Vec::new(),
        }
    }

    /// Whether this sink checks public values (the verifier's).
    pub fn checks_public(&self) -> bool {
        self.check_public
    }

    /// A claim on a table of the witness commitment.
    pub fn witness(&mut self, slot: Slot, point: &[E], value: E) {
        self.witness.push(Claim {
            slot,
            point: point.to_vec(),
            value,
        });
    }

    fn model(&mut self, slot: Slot, point: Vec<E>, value: E) {
        self.model.push(Claim { slot, point, value });
    }

    /// A claim on a value by its source (public tensors are evaluated at once).
    pub fn source(&mut self, source: Source, layout: &Layout, point: &[E], value: E) -> Result<(), VerifyError> {
        let data = match source {
            Source::Input => &self.statement.input.data,
            Source::Output => &self.statement.output.data,
            Source::Witness(slot) => {
                self.witness(slot, point, value);
                return Ok(());
            }
        };
        if !self.check_public {
            return Ok(());
        }
        public(
            evaluate(&layout.pad_field(data), point) == value,
            "public tensor evaluation",
        )
    }

    /// A claim on a layer's input, read through the layer's transposed view if it has one.
    pub fn viewed(
        &mut self,
        source: Source,
        view: Option<&[usize]>,
        layout: &Layout,
        point: &[E],
        value: E,
    ) -> Result<(), VerifyError> {
        match (view, source) {
            (None, _) => self.source(source, layout, point, value),
            (Some(map), Source::Witness(slot)) => {
                self.witness(slot, &producer_point(map, point), value);
                Ok(())
            }
            (Some(_), _) => Err(VerifyError::FinalClaim("circuit: a view of a public tensor")),
        }
    }

    /// The threshold lookup `(j, y, Lc, Uc) ∈ {(j, v, L_j(v), U_j(v))}` of a requantized layer
    /// (`j` = the channel; a pool has one function, `j ≡ 0`).
    pub fn requant_lookup(&mut self, l: &RequantLayer, c: &LookupClaims) -> Result<(), VerifyError> {
        let (w, tv) = (&c.witness_evals, &c.table_evals);
        let (start, nv) = l.channel_vars();
        let tv_vars = l.table_channel_vars();
        if self.check_public {
            let channel = match l.norm.as_deref() {
                Some(s) => super::norm::channel_eval(s, &c.witness_point),
                None => binary_value(&c.witness_point[start..start + nv]),
            };
            public(
                w[0] == channel
                    && tv[0] == table_channel(&c.table_point, tv_vars)
                    && tv[1] == table_value(&c.table_point, tv_vars),
                "threshold lookup: public columns",
            )?;
        }
        self.source(l.output, &l.out, &c.witness_point, w[1])?;
        self.witness(l.lower, &c.witness_point, w[2]);
        self.witness(l.upper, &c.witness_point, w[3]);
        self.witness(l.multiplicities, &c.table_point, c.multiplicity_eval);
        self.model(l.model.lower_table, c.table_point.clone(), tv[2]);
        self.model(l.model.upper_table, c.table_point.clone(), tv[3]);
        Ok(())
    }

    /// The lookup `(x, y) ∈ {(v, f(v))}` of a pointwise layer (ReLU or `Lut`).
    pub fn pointwise_lookup(&mut self, r: &PointwiseLayer, c: &LookupClaims) -> Result<(), VerifyError> {
        if self.check_public {
            public(
                c.table_evals[..] == r.table.evaluate(&c.table_point)[..],
                "pointwise lookup: public table",
            )?;
        }
        // A masked table (Lut) has the public mask as its first witness column.
        let w = &c.witness_evals;
        let (x, y) = match r.table {
            PointTable::Relu => (w[0], w[1]),
            PointTable::Lut(_) => {
                if self.check_public {
                    public(w[0] == r.layout.mask_eval(&c.witness_point), "pointwise lookup: mask")?;
                }
                (w[1], w[2])
            }
        };
        self.viewed(r.input, r.in_view.as_deref(), &r.layout, &c.witness_point, x)?;
        self.source(r.output, &r.layout, &c.witness_point, y)?;
        self.witness(r.multiplicities, &c.table_point, c.multiplicity_eval);
        Ok(())
    }

    /// The lookup `(x_a, x_b, y) ∈ {(a, b, f(a, b))}` of a residual Add.
    pub fn add_lookup(&mut self, a: &AddLayer, key: &AddKey, c: &LookupClaims) -> Result<(), VerifyError> {
        if self.check_public {
            public(
                c.table_evals[..] == key.table_evals(&c.table_point)[..],
                "add lookup: public table",
            )?;
        }
        let w = &c.witness_evals;
        self.source(a.inputs[0], &a.layout, &c.witness_point, w[0])?;
        self.source(a.inputs[1], &a.layout, &c.witness_point, w[1])?;
        self.source(a.output, &a.layout, &c.witness_point, w[2])?;
        self.witness(a.multiplicities, &c.table_point, c.multiplicity_eval);
        Ok(())
    }

    /// A claim on a table of the witness commitment (a LayerNorm's own columns).
    pub fn witness_claim(&mut self, slot: Slot, point: &[E], value: E) {
        self.witness(slot, point, value);
    }

    /// The range lookup of every limb into `[0, 256)`.
    pub fn range_lookup(&mut self, circuit: &Circuit, c: &LookupClaims) -> Result<(), VerifyError> {
        if self.check_public {
            public(
                c.table_evals[0] == binary_value(&c.table_point),
                "range lookup: public table",
            )?;
        }
        self.witness(circuit.range_region, &c.witness_point, c.witness_evals[0]);
        self.witness(circuit.range_multiplicities, &c.table_point, c.multiplicity_eval);
        Ok(())
    }

    /// `Lc, Uc` and the limbs at the layer point `r` (`relation` in proof order).
    pub fn relation(&mut self, l: &RequantLayer, r: &[E], relation: &[E]) {
        let limbs = l.e_limbs.len();
        self.witness(l.lower, r, relation[0]);
        self.witness(l.upper, r, relation[1]);
        let slots = l.e_limbs.iter().chain(&l.f_limbs);
        for (&slot, &value) in slots.zip(&relation[2..2 + 2 * limbs]) {
            self.witness(slot, r, value);
        }
    }

    /// A claim on the layer's input table (matmul or window reduction).
    pub fn input(&mut self, l: &RequantLayer, point: &[E], value: E) -> Result<(), VerifyError> {
        self.viewed(l.input, l.in_view.as_deref(), &l.in_layout, point, value)
    }

    /// A claim on an activation matmul's right operand.
    pub fn input_b(&mut self, l: &RequantLayer, point: &[E], value: E) -> Result<(), VerifyError> {
        let b = l
            .operand_b
            .as_ref()
            .ok_or(VerifyError::FinalClaim("circuit: a matmul without its right operand"))?;
        self.viewed(b.source, b.view.as_deref(), &b.layout, point, value)
    }

    /// A claim on the layer's weight matrix in the model commitment.
    pub fn weights(&mut self, l: &RequantLayer, point: Vec<E>, value: E) -> Result<(), VerifyError> {
        let slot = l
            .model
            .weights
            .ok_or(VerifyError::FinalClaim("circuit and key disagree"))?;
        self.model(slot, point, value);
        Ok(())
    }
}
