//! The prover's witness: every committed value of a proof, taken from the
//! exact engine's trace.
//!
//! [`prove::witness`](super::prove::witness) reads each layer's input and output from the
//! trace, computes the accumulators with the engine's own kernel and checks
//! that the engine's requantizer maps them to the traced outputs. The
//! derived columns (thresholds, limbs) and the multiplicities are then
//! computed by [`Witness::derive_columns`] and [`Witness::count_multiplicities`].
//! Fields are public so that a test can play a malicious prover: alter any
//! value and prove anyway ([`super::prove::prove_witness`] never checks the
//! witness, the verifier must reject).

use veris_engine::exact::{ExactOp, IntTensor, Requant, TraceObserver, kernels::linear_acc};

use super::circuit::{Circuit, Dims, Layer, Source};
use super::key::Stage;
use super::prove::ProveError;
use super::setup::ProverKey;
use super::statement::Statement;
use super::tables::VALUES;
use super::{LIMB_BITS, QMAX, QMIN};
use crate::hash::Hasher;

/// A linear layer's committed values, each a padded `rows × n` matrix unless noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearWitness {
    /// The weights the prover uses in the matmul sumcheck (`2^nv × 2^kv`).
    pub weights: Vec<i64>,
    /// `x·wᵀ + bias` on real rows, 0 on padding.
    pub acc: Vec<i64>,
    /// The requantized output `y`.
    pub output: Vec<i64>,
    /// `Lc = L_j(y)`.
    pub lower: Vec<i64>,
    /// `Uc = U_j(y)`.
    pub upper: Vec<i64>,
    /// 8-bit limbs of `acc − Lc`, least significant first.
    pub e_limbs: Vec<Vec<i64>>,
    /// 8-bit limbs of `Uc − acc`.
    pub f_limbs: Vec<Vec<i64>>,
    /// Uses of each threshold-table row (`2^nv · 256`).
    pub multiplicities: Vec<u64>,
}

/// A standalone ReLU's committed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReluWitness {
    /// `max(x, 0)`, padded like the input.
    pub output: Vec<i64>,
    /// Uses of each row of the table `(v, max(v, 0))`.
    pub multiplicities: Vec<u64>,
}

/// One proved layer's witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerWitness {
    /// A linear layer.
    Linear(LinearWitness),
    /// A standalone ReLU.
    Relu(ReluWitness),
}

/// Everything a proof commits to, plus the statement it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The public statement.
    pub statement: Statement,
    /// One entry per proved layer, in order.
    pub layers: Vec<LayerWitness>,
    /// Uses of each value of `[0, 256)` among all limbs (and the region's zero padding).
    pub range_multiplicities: Vec<u64>,
    pub(crate) circuit: Circuit,
}

/// Records the engine's trace: the quantized input and each op's operands and output.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub input: Option<IntTensor>,
    pub ops: Vec<(Vec<IntTensor>, IntTensor)>,
}

impl TraceObserver for Recorder {
    fn on_input(&mut self, _index: usize, _name: &str, value: &IntTensor) {
        self.input = Some(value.clone());
    }

    fn on_op(&mut self, _index: usize, _op: &ExactOp, inputs: &[&IntTensor], output: &IntTensor) {
        self.ops
            .push((inputs.iter().map(|t| (*t).clone()).collect(), output.clone()));
    }
}

/// `rows × cols` data zero-padded to the dims' powers of two.
pub(crate) fn pad(data: &[i64], dims: &Dims) -> Vec<i64> {
    let width = 1usize << dims.col_vars;
    let mut out = vec![0; 1 << dims.vars()];
    for (r, row) in data.chunks_exact(dims.cols).take(dims.rows).enumerate() {
        out[r * width..r * width + dims.cols].copy_from_slice(row);
    }
    out
}

impl Witness {
    /// The witness of a traced run whose statement is `statement`.
    pub(crate) fn from_trace<H: Hasher>(
        pk: &ProverKey<H>,
        statement: Statement,
        trace: &Recorder,
    ) -> Result<Self, ProveError> {
        let circuit = Circuit::new(&pk.vk, &statement.input.shape)?;
        let mut layers = Vec::with_capacity(circuit.layers.len());
        let mut tables = pk.tables.iter();
        for layer in &circuit.layers {
            layers.push(match layer {
                Layer::Linear(l) => {
                    let Stage::Linear(key) = &pk.vk.stages[l.stage] else {
                        unreachable!("linear stage")
                    };
                    let t = tables.next().expect("one table per linear stage");
                    let (rows, k, n) = (l.in_dims.rows, key.k as usize, key.n as usize);
                    let mismatch = || ProveError::TraceMismatch { op: l.stage, index: 0 };
                    let (operands, out) = trace.ops.get(l.stage).ok_or_else(mismatch)?;
                    if operands.len() != 1 || operands[0].data.len() != rows * k || out.data.len() != rows * n {
                        return Err(mismatch());
                    }
                    let x: Vec<i16> = operands[0].data.iter().map(|&v| v.clamp(QMIN, QMAX) as i16).collect();
                    let mut acc = vec![0i64; rows * n];
                    linear_acc(&x, rows, k, &t.weights, n, true, &mut acc);
                    let floor = if key.relu { 0 } else { QMIN };
                    for (index, (a, &y)) in acc.iter_mut().zip(&out.data).enumerate() {
                        let j = index % n;
                        *a += key.bias[j];
                        let r = Requant {
                            multiplier: key.requant[j].multiplier,
                            shift: key.requant[j].shift,
                        };
                        if r.apply_sat(*a, floor, QMAX) != y {
                            return Err(ProveError::TraceMismatch { op: l.stage, index });
                        }
                    }
                    let kp = 1usize << l.in_dims.col_vars;
                    let mut weights = vec![0i64; (1 << l.out_dims.col_vars) * kp];
                    for (j, row) in t.weights.chunks_exact(k).enumerate() {
                        for (p, &w) in row.iter().enumerate() {
                            weights[j * kp + p] = i64::from(w);
                        }
                    }
                    LayerWitness::Linear(LinearWitness {
                        weights,
                        acc: pad(&acc, &l.out_dims),
                        output: pad(&out.data, &l.out_dims),
                        lower: Vec::new(),
                        upper: Vec::new(),
                        e_limbs: Vec::new(),
                        f_limbs: Vec::new(),
                        multiplicities: Vec::new(),
                    })
                }
                Layer::Relu(r) => {
                    let mismatch = || ProveError::TraceMismatch { op: r.stage, index: 0 };
                    let (_, out) = trace.ops.get(r.stage).ok_or_else(mismatch)?;
                    if out.data.len() != r.dims.rows * r.dims.cols {
                        return Err(mismatch());
                    }
                    LayerWitness::Relu(ReluWitness {
                        output: pad(&out.data, &r.dims),
                        multiplicities: Vec::new(),
                    })
                }
            });
        }
        let mut w = Self {
            statement,
            layers,
            range_multiplicities: Vec::new(),
            circuit,
        };
        w.derive_columns(pk);
        w.count_multiplicities(pk);
        Ok(w)
    }

    /// The padded input of layer `i`: the statement's input or the previous layer's output.
    pub fn layer_input(&self, i: usize) -> Vec<i64> {
        let (source, dims) = match &self.circuit.layers[i] {
            Layer::Linear(l) => (l.input, l.in_dims),
            Layer::Relu(r) => (r.input, r.dims),
        };
        match (source, i.checked_sub(1)) {
            (Source::Input, _) | (_, None) => pad(&self.statement.input.data, &dims),
            (_, Some(prev)) => match &self.layers[prev] {
                LayerWitness::Linear(p) => p.output.clone(),
                LayerWitness::Relu(p) => p.output.clone(),
            },
        }
    }

    /// Recomputes `Lc`, `Uc` and the limbs of every linear layer from its `acc` and `output`.
    pub fn derive_columns<H: Hasher>(&mut self, pk: &ProverKey<H>) {
        let mut tables = pk.tables.iter();
        for (layer, lw) in self.circuit.layers.iter().zip(&mut self.layers) {
            let (Layer::Linear(l), LayerWitness::Linear(lw)) = (layer, lw) else {
                continue;
            };
            let t = tables.next().expect("one table per linear stage");
            let width = 1usize << l.out_dims.col_vars;
            let row = |i: usize, y: i64| (y - QMIN) as usize + (i % width) * VALUES;
            let in_range = |y: i64| (QMIN..=QMAX).contains(&y);
            let pick = |table: &[i64]| -> Vec<i64> {
                let pick_one = |(i, &y): (usize, &i64)| if in_range(y) { table[row(i, y)] } else { 0 };
                lw.output.iter().enumerate().map(pick_one).collect()
            };
            lw.lower = pick(&t.lower);
            lw.upper = pick(&t.upper);
            let e: Vec<i64> = lw.acc.iter().zip(&lw.lower).map(|(a, l)| a.wrapping_sub(*l)).collect();
            let f: Vec<i64> = lw.upper.iter().zip(&lw.acc).map(|(u, a)| u.wrapping_sub(*a)).collect();
            let limbs = l.e_limbs.len();
            lw.e_limbs = split_limbs(&e, limbs);
            lw.f_limbs = split_limbs(&f, limbs);
        }
    }

    /// Recounts every lookup's multiplicities from the current values, counting
    /// only rows that are in their table (as an honest prover would).
    pub fn count_multiplicities<H: Hasher>(&mut self, pk: &ProverKey<H>) {
        let mut tables = pk.tables.iter();
        let mut range = vec![0u64; VALUES];
        let mut limb_entries = 0usize;
        for i in 0..self.layers.len() {
            let input = matches!(self.layers[i], LayerWitness::Relu(_)).then(|| self.layer_input(i));
            let layer = &self.circuit.layers[i];
            match (layer, &mut self.layers[i]) {
                (Layer::Linear(l), LayerWitness::Linear(lw)) => {
                    let t = tables.next().expect("one table per linear stage");
                    let width = 1usize << l.out_dims.col_vars;
                    let mut counts = vec![0u64; width * VALUES];
                    for (i, &y) in lw.output.iter().enumerate() {
                        let row = (i % width) * VALUES + (y - QMIN).clamp(0, VALUES as i64 - 1) as usize;
                        let listed =
                            (QMIN..=QMAX).contains(&y) && lw.lower[i] == t.lower[row] && lw.upper[i] == t.upper[row];
                        counts[row] += u64::from(listed);
                    }
                    lw.multiplicities = counts;
                    for limb in lw.e_limbs.iter().chain(&lw.f_limbs) {
                        limb_entries += limb.len();
                        for &v in limb {
                            if let Some(c) = usize::try_from(v).ok().and_then(|v| range.get_mut(v)) {
                                *c += 1;
                            }
                        }
                    }
                }
                (Layer::Relu(_), LayerWitness::Relu(rw)) => {
                    let mut counts = vec![0u64; VALUES];
                    for (&x, &y) in input.expect("relu input").iter().zip(&rw.output) {
                        if (QMIN..=QMAX).contains(&x) && y == x.max(0) {
                            counts[(x - QMIN) as usize] += 1;
                        }
                    }
                    rw.multiplicities = counts;
                }
                _ => unreachable!("witness layers follow the circuit"),
            }
        }
        // The region's unused entries are zeros, looked up like the limbs.
        range[0] += (self.circuit.range_region.len() - limb_entries) as u64;
        self.range_multiplicities = range;
    }
}

/// `limbs` 8-bit limbs of each value's two's-complement bits (values outside
/// `[0, 2^(8·limbs))` come out wrong, as they must: the range check catches them).
fn split_limbs(values: &[i64], limbs: usize) -> Vec<Vec<i64>> {
    let mask = (1u64 << LIMB_BITS) - 1;
    (0..limbs)
        .map(|t| {
            let shift = (LIMB_BITS as usize * t).min(63) as u32;
            values.iter().map(|&v| ((v as u64 >> shift) & mask) as i64).collect()
        })
        .collect()
}
