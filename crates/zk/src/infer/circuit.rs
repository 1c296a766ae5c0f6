//! The circuit a statement induces: which layers are proved, their padded
//! dimensions, where each value comes from, and where every committed table
//! lives (in the model commitment or in the proof's witness commitment).
//!
//! Prover and verifier both derive it from the key and the statement's input
//! shape alone, so nothing about the circuit's shape comes from the proof.

use super::VALUE_VARS;
use super::error::StatementError;
use super::key::{Stage, VerifyingKey};
use super::key_add::PAIR_VARS;
use super::key_norm::{ROW_LIMBS, ROW_VALUES};
use super::lane_max::{LANE_TABLE_VARS, LaneMaxTable};
use super::layout::Layout;
use super::matmul_act::MatMulVars;
use super::model_slots::{ModelLayout, ModelSlots, model_layout};
use super::norm::NormSlots;
use super::pointwise::PointTable;
use super::slots::{Slot, allocate};
use super::view::VarMap;
use super::walk::{Kind, Proto, check_input_shape, walk};
use super::window_max::{MAX_TABLE_VARS, MaxPoolLayer, tap_vars};

/// Largest number of variables of a proof's witness commitment.
pub const MAX_WITNESS_VARS: usize = 28;

/// A matrix `rows × cols` padded to `2^row_vars × 2^col_vars` (row-major; the
/// row index is the first `row_vars` variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dims {
    pub rows: usize,
    pub cols: usize,
    pub row_vars: usize,
    pub col_vars: usize,
}

impl Dims {
    pub fn new(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            row_vars: ceil_log2(rows),
            col_vars: ceil_log2(cols),
        }
    }

    /// Variables of the padded matrix.
    pub fn vars(&self) -> usize {
        self.row_vars + self.col_vars
    }
}

pub(crate) fn ceil_log2(n: usize) -> usize {
    n.max(1).next_power_of_two().trailing_zeros() as usize
}

/// Where a layer's input or output values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The statement's input (the verifier evaluates it).
    Input,
    /// The statement's output (the verifier evaluates it).
    Output,
    /// A table of the witness commitment.
    Witness(Slot),
}

/// A proved requantized layer (Linear, Conv or AvgPool): accumulators `acc`,
/// output `y = g_j(acc)` per channel `j`, proved by the threshold lookup, the
/// limbs and a reduction of `acc` to the input (`kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequantLayer {
    /// Index into the key's stages.
    pub stage: usize,
    pub kind: Kind,
    pub input: Source,
    /// The layer producing `input` (`None`: the public input).
    pub from: Option<usize>,
    /// The input is a transpose of `input`'s table ([`super::view`]).
    pub in_view: Option<VarMap>,
    /// The right operand of an activation matmul ([`super::matmul_act`]).
    pub operand_b: Option<Box<MatMulOperand>>,
    pub output: Source,
    /// The input's layout (a matrix `rows × k` or the NCHW input grid).
    pub in_layout: Layout,
    /// The output's layout (a matrix `rows × n` or the NCHW output grid).
    pub out: Layout,
    /// Witness tables `Lc`, `Uc` (the looked-up thresholds), laid out like the output.
    pub lower: Slot,
    pub upper: Slot,
    /// Limbs of `acc − Lc` and `Uc − acc`, least significant first.
    pub e_limbs: Vec<Slot>,
    pub f_limbs: Vec<Slot>,
    /// Multiplicities of the threshold table (`2^channel_vars · 256`).
    pub multiplicities: Slot,
    pub model: ModelSlots,
    /// A LayerNorm's own columns ([`super::norm`]).
    pub norm: Option<Box<NormSlots>>,
}

impl RequantLayer {
    /// The variables of the output point that select the channel's function
    /// (`(start, count)`): a matrix's columns, a grid's `C` axis; none for a
    /// pool (one function for every element).
    pub fn channel_vars(&self) -> (usize, usize) {
        match self.kind {
            Kind::Pool | Kind::MatMul => (0, 0),
            Kind::Linear | Kind::Conv | Kind::GroupedConv | Kind::LayerNorm => self.out.channel_vars(),
        }
    }

    /// Variables of the threshold table's channel index: a LayerNorm has one
    /// more (its all-zero function for padded blocks is channel `2^cv`).
    pub fn table_channel_vars(&self) -> usize {
        self.channel_vars().1 + usize::from(self.kind == Kind::LayerNorm)
    }
}

/// The right operand `B` of an activation matmul layer, a committed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MatMulOperand {
    pub source: Source,
    /// The layer producing it.
    pub from: usize,
    pub view: Option<VarMap>,
    pub layout: Layout,
    /// `[b, i, p, j]` variable counts of the layer.
    pub vars: MatMulVars,
}

/// A proved pointwise layer (standalone ReLU or `Lut`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PointwiseLayer {
    /// Index into the key's stages.
    pub stage: usize,
    pub input: Source,
    /// The layer producing `input` (`None`: the public input).
    pub from: Option<usize>,
    /// The input is a transpose of `input`'s table ([`super::view`]).
    pub in_view: Option<VarMap>,
    pub output: Source,
    pub layout: Layout,
    /// The function, i.e. the public table `(v, f(v))`.
    pub table: PointTable,
    /// Multiplicities of the 256-row table.
    pub multiplicities: Slot,
}

/// A proved Softmax along the last axis ([`super::softmax`]): the value is a
/// padded `rows × L` matrix (one lane per row), input and output alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoftmaxLayer {
    /// Index into the key's stages.
    pub stage: usize,
    pub input: Source,
    /// The layer producing `input` (`None`: the public input).
    pub from: Option<usize>,
    /// The input is a transpose of `input`'s table ([`super::view`]).
    pub in_view: Option<VarMap>,
    pub output: Source,
    pub dims: Dims,
    /// The lane maxima (`2^row_vars`), the exp values `e` and the selector (laid out like the output).
    pub max: Slot,
    pub exp: Slot,
    pub sel: Slot,
    /// Multiplicities of the lane-max table.
    pub multiplicities: Slot,
    /// Limbs of `ρ` and of `2D − 1 − ρ`, and the one limb holding `y`.
    pub rho_limbs: Vec<Slot>,
    pub f_limbs: Vec<Slot>,
    pub y_limb: Slot,
    /// The lane-max table with the exp table as its value column.
    pub table: LaneMaxTable,
}

impl SoftmaxLayer {
    pub fn layout(&self) -> Layout {
        Layout::Matrix(self.dims)
    }
}

/// A proved residual Add: the lookup `(x_a, x_b, y) ∈ {(a, b, f(a, b))}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AddLayer {
    /// Index into the key's stages.
    pub stage: usize,
    pub inputs: [Source; 2],
    pub output: Source,
    /// Both operands' and the output's layout.
    pub layout: Layout,
    /// Multiplicities of the 2^16-row pair table.
    pub multiplicities: Slot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layer {
    Requant(Box<RequantLayer>),
    Pointwise(PointwiseLayer),
    Add(AddLayer),
    MaxPool(MaxPoolLayer),
    Softmax(Box<SoftmaxLayer>),
}

impl Layer {
    /// Where the layer's output lies.
    #[cfg(feature = "prover")]
    pub fn output(&self) -> Source {
        match self {
            Layer::Requant(l) => l.output,
            Layer::Pointwise(r) => r.output,
            Layer::Add(a) => a.output,
            Layer::MaxPool(m) => m.output,
            Layer::Softmax(s) => s.output,
        }
    }
}

/// The circuit of one statement shape (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Circuit {
    pub layers: Vec<Layer>,
    pub output_shape: Vec<usize>,
    pub witness_vars: usize,
    pub model_vars: usize,
    /// All limbs of all layers, zero-padded: the range lookup's witness column.
    pub range_region: Slot,
    /// Multiplicities of the table `[0, 256)`.
    pub range_multiplicities: Slot,
}

/// Limbs of `ρ` (and of `f`) of a Softmax stage on `dims`.
fn softmax_limbs(stage: &Stage, dims: &Dims) -> usize {
    match stage {
        Stage::Softmax(key) => key.limbs(dims.col_vars),
        _ => 0,
    }
}

/// Limbs per difference of a requantized stage.
pub(crate) fn stage_limbs(stage: &Stage) -> usize {
    match stage {
        Stage::Linear(l) => l.limbs(),
        Stage::Conv(c) => c.channels.limbs(),
        Stage::AvgPool(p) => p.limbs(),
        Stage::MatMul(m) => m.limbs(),
        Stage::LayerNorm(k) => k.limbs(),
        Stage::Relu
        | Stage::MaxPool(_)
        | Stage::Lut(_)
        | Stage::Reshape(_)
        | Stage::Flatten(_)
        | Stage::Transpose(_)
        | Stage::Add(_)
        | Stage::Softmax(_) => 0,
    }
}

impl Circuit {
    /// The circuit for inputs of shape `input_shape` under `vk`.
    pub fn new(vk: &VerifyingKey, input_shape: &[usize]) -> Result<Self, StatementError> {
        check_input_shape(&vk.input, input_shape)?;
        let (protos, output_shape) = walk(&vk.stages, &vk.operands, input_shape)?;
        let model = model_layout(&vk.stages)?;
        Self::place(protos, output_shape, &vk.stages, model)
    }

    fn place(
        protos: Vec<Proto>,
        output_shape: Vec<usize>,
        stages: &[Stage],
        model: ModelLayout,
    ) -> Result<Self, StatementError> {
        let last = protos.len() - 1;
        // Limb region first: its sub-slots are placed inside one aligned slot.
        let mut limb_logs = Vec::new();
        for p in &protos {
            match p {
                Proto::Requant { stage, out, .. } => {
                    limb_logs.extend(std::iter::repeat_n(out.vars(), 2 * stage_limbs(&stages[*stage])));
                    if let (Stage::LayerNorm(k), Layout::Matrix(d)) = (&stages[*stage], out) {
                        limb_logs.extend(std::iter::repeat_n(out.vars(), k.rho_limbs()));
                        limb_logs.extend(std::iter::repeat_n(d.row_vars, ROW_LIMBS));
                    }
                }
                Proto::Softmax { stage, dims, .. } => {
                    let count = 2 * softmax_limbs(&stages[*stage], dims) + 1;
                    limb_logs.extend(std::iter::repeat_n(dims.vars(), count));
                }
                Proto::Pointwise { .. } | Proto::Add { .. } | Proto::MaxPool { .. } => {}
            }
        }
        let (limb_slots, region_vars) = allocate("limb region", &limb_logs, MAX_WITNESS_VARS)?;
        // Top level: per layer [y (unless last), then requant: lower, upper, multiplicities | pointwise: multiplicities],
        // then the region and the range multiplicities.
        let mut logs = Vec::new();
        for (i, p) in protos.iter().enumerate() {
            let out = p.out_layout();
            if i != last {
                logs.push(out.vars());
            }
            match p {
                Proto::Requant { kind, .. } => {
                    let channels = match kind {
                        Kind::Pool | Kind::MatMul => 0,
                        Kind::Linear | Kind::Conv | Kind::GroupedConv => out.channel_vars().1,
                        Kind::LayerNorm => out.channel_vars().1 + 1,
                    };
                    logs.extend([out.vars(), out.vars(), channels + VALUE_VARS]);
                    if let (Kind::LayerNorm, Layout::Matrix(d)) = (kind, out) {
                        logs.extend([d.row_vars; ROW_VALUES]);
                    }
                }
                Proto::Pointwise { stage, .. } => logs.push(PointTable::of(&stages[*stage]).table_vars()),
                Proto::Add { .. } => logs.push(PAIR_VARS),
                Proto::MaxPool { stage, out, .. } => {
                    let Stage::MaxPool(window) = &stages[*stage] else {
                        unreachable!("max pool protos come from max pool stages")
                    };
                    let vars = out.total_vars() + tap_vars(window).iter().sum::<usize>();
                    logs.extend([vars, vars, MAX_TABLE_VARS]);
                }
                Proto::Softmax { dims, .. } => {
                    logs.extend([dims.row_vars, dims.vars(), dims.vars(), LANE_TABLE_VARS]);
                }
            }
        }
        logs.extend([region_vars, VALUE_VARS]);
        let (slots, witness_vars) = allocate("witness commitment", &logs, MAX_WITNESS_VARS)?;
        let range_region = slots[slots.len() - 2];
        let mut limbs = limb_slots.into_iter().map(|s| Slot {
            offset: range_region.offset + s.offset,
            log_size: s.log_size,
        });
        let mut next = slots.iter().copied();
        let mut models = model.layers.iter().copied();
        let mut outputs: Vec<Source> = Vec::with_capacity(protos.len());
        let mut layers = Vec::with_capacity(protos.len());
        let source = |from: Option<usize>, outputs: &[Source]| from.map_or(Source::Input, |j| outputs[j]);
        for (i, p) in protos.iter().enumerate() {
            let output = if i == last {
                Source::Output
            } else {
                Source::Witness(next.next().expect("slot per output"))
            };
            let layer = match *p {
                Proto::Requant {
                    stage,
                    kind,
                    from,
                    ref view,
                    input,
                    out,
                    ref b,
                } => {
                    let [lower, upper, multiplicities] = [(); 3].map(|_| next.next().expect("slot"));
                    let count = stage_limbs(&stages[stage]);
                    let e_limbs: Vec<Slot> = limbs.by_ref().take(count).collect();
                    let f_limbs: Vec<Slot> = limbs.by_ref().take(count).collect();
                    let norm = match (&stages[stage], out) {
                        (Stage::LayerNorm(k), Layout::Matrix(d)) => Some(Box::new(NormSlots {
                            rows: d.rows,
                            row_vars: d.row_vars,
                            col_vars: d.col_vars,
                            values: next.by_ref().take(ROW_VALUES).collect(),
                            rho_limbs: limbs.by_ref().take(k.rho_limbs()).collect(),
                            row_limbs: limbs.by_ref().take(ROW_LIMBS).collect(),
                        })),
                        _ => None,
                    };
                    Layer::Requant(Box::new(RequantLayer {
                        stage,
                        kind,
                        input: source(from, &outputs),
                        from,
                        in_view: view.clone(),
                        operand_b: b.as_ref().map(|b| {
                            Box::new(MatMulOperand {
                                source: outputs[b.from],
                                from: b.from,
                                view: b.view.clone(),
                                layout: b.layout,
                                vars: b.vars,
                            })
                        }),
                        output,
                        in_layout: input,
                        out,
                        lower,
                        upper,
                        e_limbs,
                        f_limbs,
                        multiplicities,
                        model: models.next().expect("model slots per requantized stage"),
                        norm,
                    }))
                }
                Proto::Pointwise {
                    stage,
                    from,
                    ref view,
                    layout,
                } => Layer::Pointwise(PointwiseLayer {
                    stage,
                    input: source(from, &outputs),
                    from,
                    in_view: view.clone(),
                    output,
                    layout,
                    table: PointTable::of(&stages[stage]),
                    multiplicities: next.next().expect("slot"),
                }),
                Proto::Add { stage, from, layout } => Layer::Add(AddLayer {
                    stage,
                    inputs: from.map(|f| source(f, &outputs)),
                    output,
                    layout,
                    multiplicities: next.next().expect("slot"),
                }),
                Proto::MaxPool {
                    stage,
                    from,
                    input,
                    out,
                } => {
                    let Stage::MaxPool(window) = &stages[stage] else {
                        unreachable!("max pool protos come from max pool stages")
                    };
                    let [diffs, selector, multiplicities] = [(); 3].map(|_| next.next().expect("slot"));
                    Layer::MaxPool(MaxPoolLayer {
                        stage,
                        input: source(from, &outputs),
                        from,
                        output,
                        in_grid: input,
                        out,
                        tap_vars: tap_vars(window),
                        diffs,
                        selector,
                        multiplicities,
                    })
                }
                Proto::Softmax {
                    stage,
                    from,
                    ref view,
                    dims,
                } => {
                    let Stage::Softmax(key) = &stages[stage] else {
                        unreachable!("softmax protos come from softmax stages")
                    };
                    let [max, exp, sel, multiplicities] = [(); 4].map(|_| next.next().expect("slot"));
                    let count = key.limbs(dims.col_vars);
                    Layer::Softmax(Box::new(SoftmaxLayer {
                        stage,
                        input: source(from, &outputs),
                        from,
                        in_view: view.clone(),
                        output,
                        dims,
                        max,
                        exp,
                        sel,
                        multiplicities,
                        rho_limbs: limbs.by_ref().take(count).collect(),
                        f_limbs: limbs.by_ref().take(count).collect(),
                        y_limb: limbs.next().expect("limb slot"),
                        table: LaneMaxTable {
                            value: Some(key.exp_table.clone()),
                        },
                    }))
                }
            };
            outputs.push(output);
            layers.push(layer);
        }
        Ok(Self {
            layers,
            output_shape,
            witness_vars,
            model_vars: model.num_vars,
            range_region,
            range_multiplicities: slots[slots.len() - 1],
        })
    }
}
