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

use veris_engine::exact::{ExactOp, IntTensor, TraceObserver};

use super::circuit::{Circuit, Layer, Source};
use super::key::Stage;
use super::layout::Layout;
use super::matmul_act::prover::accumulators as matmul_accumulators;
pub use super::norm_prover::NormWitness;
use super::norm_prover::{accumulators as norm_accumulators, channel_at};
use super::prove::ProveError;
use super::setup::ProverKey;
pub use super::softmax_prover::SoftmaxWitness;
use super::softmax_prover::{
    derive_limbs as derive_softmax_limbs, multiplicities as softmax_multiplicities, rederive_exp, softmax_witness,
};
use super::statement::Statement;
use super::tables::VALUES;
use super::view::view_table;
use super::walk::Kind;
use super::window_max::prover::{columns as max_columns, multiplicities as max_multiplicities};
use super::witness_acc::accumulators;
use super::witness_lookup::{add_multiplicities, pointwise_multiplicities};
use super::{LIMB_BITS, QMAX, QMIN};
use crate::hash::Hasher;

/// A requantized layer's committed values, each laid out like the output
/// (a padded `rows × n` matrix or NCHW grid) unless noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequantWitness {
    /// The weights the prover uses in its sumcheck (`2^nv × 2^kv`, the model
    /// commitment's layout; empty for a pool).
    pub weights: Vec<i64>,
    /// The accumulators (`x·wᵀ + bias`, the conv sums, the window sums) on real positions, 0 on padding.
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
    /// Uses of each threshold-table row (`2^channel_vars · 256`).
    pub multiplicities: Vec<u64>,
}

/// A pointwise layer's (ReLU or `Lut`) committed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointwiseWitness {
    /// `f(x)`, padded like the input.
    pub output: Vec<i64>,
    /// Uses of each row of the table `(v, f(v))`.
    pub multiplicities: Vec<u64>,
}

/// A residual Add's committed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddWitness {
    /// `sat(rq_a(x_a) + rq_b(x_b))`, padded like the operands.
    pub output: Vec<i64>,
    /// Uses of each row of the pair table (`2^16`, row `(a + 128)·256 + b + 128`).
    pub multiplicities: Vec<u64>,
}

/// A max pool's committed values ([`super::window_max`]): per output element
/// `o` and padded tap `t`, index `o·2^tv + t`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxPoolWitness {
    /// The window maxima, padded like the output grid.
    pub output: Vec<i64>,
    /// `D = y − x_t` (a tap inside the input), `y + 128` (other taps of a real output), `y` (padded outputs).
    pub diffs: Vec<i64>,
    /// One 1 per output, at a real tap whose difference is 0.
    pub selector: Vec<i64>,
    /// Uses of each row of the 512-row `(selector, difference)` table.
    pub multiplicities: Vec<u64>,
}

/// One proved layer's witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerWitness {
    /// A linear layer.
    Linear(RequantWitness),
    /// A convolution.
    Conv(RequantWitness),
    /// An average pool.
    Pool(RequantWitness),
    /// An activation × activation matmul.
    MatMul(RequantWitness),
    /// A standalone ReLU or a `Lut` (Sigmoid, Tanh, GELU, …).
    Pointwise(PointwiseWitness),
    /// A residual Add.
    Add(AddWitness),
    /// A max pool.
    MaxPool(MaxPoolWitness),
    /// A Softmax.
    Softmax(SoftmaxWitness),
    /// A LayerNorm: its threshold lookup on `t` (the accumulators) and its own columns.
    LayerNorm(RequantWitness, Box<NormWitness>),
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

impl LayerWitness {
    /// The requantized layer's values (Linear, Conv, Pool).
    pub fn requant(&self) -> Option<&RequantWitness> {
        match self {
            LayerWitness::Linear(w)
            | LayerWitness::Conv(w)
            | LayerWitness::Pool(w)
            | LayerWitness::MatMul(w)
            | LayerWitness::LayerNorm(w, _) => Some(w),
            LayerWitness::Pointwise(_) | LayerWitness::Add(_) | LayerWitness::MaxPool(_) | LayerWitness::Softmax(_) => {
                None
            }
        }
    }

    fn requant_mut(&mut self) -> Option<&mut RequantWitness> {
        match self {
            LayerWitness::Linear(w)
            | LayerWitness::Conv(w)
            | LayerWitness::Pool(w)
            | LayerWitness::MatMul(w)
            | LayerWitness::LayerNorm(w, _) => Some(w),
            LayerWitness::Pointwise(_) | LayerWitness::Add(_) | LayerWitness::MaxPool(_) | LayerWitness::Softmax(_) => {
                None
            }
        }
    }

    /// The layer's (padded) output.
    pub fn output(&self) -> &[i64] {
        match self {
            LayerWitness::Linear(w)
            | LayerWitness::Conv(w)
            | LayerWitness::Pool(w)
            | LayerWitness::MatMul(w)
            | LayerWitness::LayerNorm(w, _) => &w.output,
            LayerWitness::Pointwise(w) => &w.output,
            LayerWitness::Add(w) => &w.output,
            LayerWitness::MaxPool(w) => &w.output,
            LayerWitness::Softmax(w) => &w.output,
        }
    }
}

/// The channel of entry `i` of a table whose channel is `count` variables starting at `start` of `total`.
pub(crate) fn channel_of(i: usize, (start, count): (usize, usize), total: usize) -> usize {
    (i >> (total - start - count)) & ((1 << count) - 1)
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
                Layer::Requant(l) => {
                    let t = tables.next().expect("one table per requantized stage");
                    let mismatch = || ProveError::TraceMismatch { op: l.stage, index: 0 };
                    let (operands, out) = trace.ops.get(l.stage).ok_or_else(mismatch)?;
                    let acc = match (&pk.vk.stages[l.stage], operands.as_slice()) {
                        (Stage::MatMul(key), [a, b]) => matmul_accumulators(key, a, b, out, l.stage)?,
                        (Stage::LayerNorm(key), [x]) => norm_accumulators(key, x, out, l.stage)?,
                        (stage, [x]) => accumulators(stage, t, x, out, l.stage)?,
                        _ => return Err(mismatch()),
                    };
                    let w = RequantWitness {
                        weights: t.padded_weights.clone(),
                        acc: l.out.pad(&acc),
                        output: l.out.pad(&out.data),
                        lower: Vec::new(),
                        upper: Vec::new(),
                        e_limbs: Vec::new(),
                        f_limbs: Vec::new(),
                        multiplicities: Vec::new(),
                    };
                    match l.kind {
                        Kind::Linear => LayerWitness::Linear(w),
                        Kind::Conv | Kind::GroupedConv => LayerWitness::Conv(w),
                        Kind::Pool => LayerWitness::Pool(w),
                        Kind::MatMul => LayerWitness::MatMul(w),
                        Kind::LayerNorm => match (&pk.vk.stages[l.stage], l.norm.as_deref(), operands.as_slice()) {
                            (Stage::LayerNorm(key), Some(slots), [x]) => LayerWitness::LayerNorm(
                                w,
                                Box::new(NormWitness::base(key, slots, &l.in_layout.pad(&x.data))),
                            ),
                            _ => return Err(mismatch()),
                        },
                    }
                }
                Layer::Pointwise(r) => {
                    let mismatch = || ProveError::TraceMismatch { op: r.stage, index: 0 };
                    let (_, out) = trace.ops.get(r.stage).ok_or_else(mismatch)?;
                    if out.data.len() != r.layout.elements() {
                        return Err(mismatch());
                    }
                    LayerWitness::Pointwise(PointwiseWitness {
                        output: r.layout.pad(&out.data),
                        multiplicities: Vec::new(),
                    })
                }
                Layer::Add(a) => {
                    let mismatch = || ProveError::TraceMismatch { op: a.stage, index: 0 };
                    let (_, out) = trace.ops.get(a.stage).ok_or_else(mismatch)?;
                    if out.data.len() != a.layout.elements() {
                        return Err(mismatch());
                    }
                    LayerWitness::Add(AddWitness {
                        output: a.layout.pad(&out.data),
                        multiplicities: Vec::new(),
                    })
                }
                Layer::MaxPool(m) => {
                    let mismatch = || ProveError::TraceMismatch { op: m.stage, index: 0 };
                    let (_, out) = trace.ops.get(m.stage).ok_or_else(mismatch)?;
                    let grid = Layout::Grid(m.out);
                    if out.data.len() != grid.elements() {
                        return Err(mismatch());
                    }
                    LayerWitness::MaxPool(MaxPoolWitness {
                        output: grid.pad(&out.data),
                        diffs: Vec::new(),
                        selector: Vec::new(),
                        multiplicities: Vec::new(),
                    })
                }
                Layer::Softmax(s) => {
                    let mismatch = || ProveError::TraceMismatch { op: s.stage, index: 0 };
                    let (_, out) = trace.ops.get(s.stage).ok_or_else(mismatch)?;
                    if out.data.len() != s.dims.rows * s.dims.cols {
                        return Err(mismatch());
                    }
                    // The input is an earlier layer's output or the statement's input: read it below.
                    LayerWitness::Softmax(SoftmaxWitness {
                        output: s.layout().pad(&out.data),
                        max: Vec::new(),
                        exp: Vec::new(),
                        sel: Vec::new(),
                        rho_limbs: Vec::new(),
                        f_limbs: Vec::new(),
                        y_limb: Vec::new(),
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
        for i in 0..w.layers.len() {
            if let (Layer::Softmax(s), LayerWitness::Softmax(sw)) = (&w.circuit.layers[i], &w.layers[i]) {
                let input = w.layer_input(i);
                w.layers[i] = LayerWitness::Softmax(softmax_witness(s, &input, &sw.output));
            }
        }
        w.derive_columns(pk);
        w.count_multiplicities(pk);
        Ok(w)
    }

    /// The padded (first) input of layer `i`: the statement's input or an
    /// earlier layer's output (transposed when the layer reads a view of it).
    pub fn layer_input(&self, i: usize) -> Vec<i64> {
        match &self.circuit.layers[i] {
            Layer::Requant(l) => self.read(l.input, l.from, l.in_view.as_deref(), l.in_layout),
            Layer::Pointwise(r) => self.read(r.input, r.from, r.in_view.as_deref(), r.layout),
            Layer::Add(a) => self.value(a.inputs[0], a.layout),
            Layer::MaxPool(m) => self.read(m.input, m.from, None, Layout::Grid(m.in_grid)),
            Layer::Softmax(s) => self.read(s.input, s.from, s.in_view.as_deref(), s.layout()),
        }
    }

    /// The padded right operand of an activation matmul layer `i`.
    pub fn layer_input_b(&self, i: usize) -> Option<Vec<i64>> {
        let Layer::Requant(l) = &self.circuit.layers[i] else {
            return None;
        };
        let b = l.operand_b.as_ref()?;
        Some(self.read(b.source, Some(b.from), b.view.as_deref(), b.layout))
    }

    /// The two padded operands of an Add layer `i` (empty for other layers).
    pub fn add_inputs(&self, i: usize) -> [Vec<i64>; 2] {
        match &self.circuit.layers[i] {
            Layer::Add(a) => a.inputs.map(|s| self.value(s, a.layout)),
            _ => [Vec::new(), Vec::new()],
        }
    }

    /// A value: the statement's input, or layer `from`'s output read through `view`.
    fn read(&self, source: Source, from: Option<usize>, view: Option<&[usize]>, layout: Layout) -> Vec<i64> {
        match (source, from, view) {
            (Source::Input, _, _) | (_, None, _) => layout.pad(&self.statement.input.data),
            (_, Some(j), None) => self.layers[j].output().to_vec(),
            (_, Some(j), Some(map)) => view_table(map, self.layers[j].output()),
        }
    }

    /// The table of a value by its source: the padded statement input, or its producer's current output.
    fn value(&self, source: Source, layout: Layout) -> Vec<i64> {
        let producer = self.circuit.layers.iter().position(|l| l.output() == source);
        match (source, producer) {
            (Source::Witness(_), Some(j)) => self.layers[j].output().to_vec(),
            (Source::Output, _) => layout.pad(&self.statement.output.data),
            _ => layout.pad(&self.statement.input.data),
        }
    }

    /// Recomputes every Softmax layer's `e = E[m − x]` on real entries from its
    /// current maxima `m` (0 where `m − x` is outside the table): a malicious
    /// prover's consistent lie about the maxima.
    pub fn derive_softmax_exp(&mut self) {
        for i in 0..self.layers.len() {
            let Layer::Softmax(s) = &self.circuit.layers[i] else {
                continue;
            };
            let input = self.layer_input(i);
            let LayerWitness::Softmax(w) = &mut self.layers[i] else {
                continue;
            };
            rederive_exp(s, &input, w);
        }
    }

    /// Recomputes `Lc`, `Uc` and the limbs of every requantized layer from its
    /// `acc` and `output`, and the limbs of every Softmax layer (`ρ`, `2D − 1 − ρ`, `y`)
    /// from its `exp` and `output`, and every max pool's differences and selectors from its input and output.
    pub fn derive_columns<H: Hasher>(&mut self, pk: &ProverKey<H>) {
        for i in 0..self.layers.len() {
            match &self.circuit.layers[i] {
                Layer::MaxPool(m) => {
                    let Stage::MaxPool(window) = &pk.vk.stages[m.stage] else {
                        unreachable!("max pool layers come from max pool stages")
                    };
                    let x = self.layer_input(i);
                    if let LayerWitness::MaxPool(w) = &mut self.layers[i] {
                        (w.diffs, w.selector) = max_columns(m, window, &x, &w.output);
                    }
                }
                Layer::Requant(l) => {
                    let (Stage::LayerNorm(key), Some(slots)) = (&pk.vk.stages[l.stage], l.norm.as_deref()) else {
                        continue;
                    };
                    let x = self.layer_input(i);
                    if let LayerWitness::LayerNorm(w, norm) = &mut self.layers[i] {
                        norm.derive(key, slots, &x, &w.acc);
                    }
                }
                _ => {}
            }
        }
        let mut tables = pk.tables.iter();
        for (layer, lw) in self.circuit.layers.iter().zip(&mut self.layers) {
            if let (Layer::Softmax(s), LayerWitness::Softmax(sw)) = (layer, &mut *lw) {
                derive_softmax_limbs(s, sw);
                continue;
            }
            let (Layer::Requant(l), Some(lw)) = (layer, lw.requant_mut()) else {
                continue;
            };
            let t = tables.next().expect("one table per requantized stage");
            let row = |i: usize, y: i64| (y - QMIN) as usize + channel_at(l, i) * VALUES;
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
            let input = matches!(self.layers[i], LayerWitness::Pointwise(_) | LayerWitness::Softmax(_))
                .then(|| self.layer_input(i));
            let operands = self.add_inputs(i);
            let layer = &self.circuit.layers[i];
            match (layer, &mut self.layers[i]) {
                (Layer::Requant(l), lw) => {
                    if let LayerWitness::LayerNorm(_, norm) = lw {
                        for limb in norm.rho_limbs.iter().chain(&norm.row_limbs) {
                            limb_entries += limb.len();
                            for &v in limb {
                                if let Some(c) = usize::try_from(v).ok().and_then(|v| range.get_mut(v)) {
                                    *c += 1;
                                }
                            }
                        }
                    }
                    let lw = lw.requant_mut().expect("witness layers follow the circuit");
                    let t = tables.next().expect("one table per requantized stage");
                    let mut counts = vec![0u64; (1 << l.table_channel_vars()) * VALUES];
                    for (i, &y) in lw.output.iter().enumerate() {
                        let row = channel_at(l, i) * VALUES + (y - QMIN).clamp(0, VALUES as i64 - 1) as usize;
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
                (Layer::Pointwise(p), LayerWitness::Pointwise(rw)) => {
                    rw.multiplicities = pointwise_multiplicities(p, &input.expect("pointwise input"), &rw.output);
                }
                (Layer::MaxPool(_), LayerWitness::MaxPool(mw)) => {
                    mw.multiplicities = max_multiplicities(&mw.diffs, &mw.selector);
                }
                (Layer::Add(a), LayerWitness::Add(aw)) => {
                    let Stage::Add(key) = &pk.vk.stages[a.stage] else {
                        unreachable!("add layers come from add stages")
                    };
                    aw.multiplicities = add_multiplicities(key, &operands, &aw.output);
                }
                (Layer::Softmax(s), LayerWitness::Softmax(sw)) => {
                    sw.multiplicities = softmax_multiplicities(s, &input.expect("softmax input"), sw);
                    for limb in sw.rho_limbs.iter().chain(&sw.f_limbs).chain([&sw.y_limb]) {
                        limb_entries += limb.len();
                        for &v in limb {
                            if let Some(c) = usize::try_from(v).ok().and_then(|v| range.get_mut(v)) {
                                *c += 1;
                            }
                        }
                    }
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
pub(crate) fn split_limbs(values: &[i64], limbs: usize) -> Vec<Vec<i64>> {
    let mask = (1u64 << LIMB_BITS) - 1;
    (0..limbs)
        .map(|t| {
            let shift = (LIMB_BITS as usize * t).min(63) as u32;
            values.iter().map(|&v| ((v as u64 >> shift) & mask) as i64).collect()
        })
        .collect()
}
