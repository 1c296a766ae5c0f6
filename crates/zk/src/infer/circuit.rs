//! The circuit a statement induces: which layers are proved, their padded
//! dimensions, where each value comes from, and where every committed table
//! lives (in the model commitment or in the proof's witness commitment).
//!
//! Prover and verifier both derive it from the key and the statement's input
//! shape alone, so nothing about the circuit's shape comes from the proof.

use super::VALUE_VARS;
use super::error::StatementError;
use super::key::{MAX_MODEL_VARS, Stage, VerifyingKey};
use super::slots::{Slot, allocate};
use super::walk::{Proto, check_input_shape, walk};

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

/// A linear layer's tables in the model commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinearModelSlots {
    /// `w[j][p]`, `2^nv × 2^kv`.
    pub weights: Slot,
    /// Lower thresholds `L_j(v)` at index `j·256 + (v + 128)`.
    pub lower_table: Slot,
    /// Upper thresholds `U_j(v)`, same layout.
    pub upper_table: Slot,
}

/// The model commitment's layout: one entry per linear stage, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelLayout {
    pub num_vars: usize,
    pub linear: Vec<LinearModelSlots>,
}

/// Places every linear stage's weights and threshold tables.
pub(crate) fn model_layout(stages: &[Stage]) -> Result<ModelLayout, StatementError> {
    let mut logs = Vec::new();
    for stage in stages {
        if let Stage::Linear(l) = stage {
            let (nv, kv) = (ceil_log2(l.n as usize), ceil_log2(l.k as usize));
            logs.extend([nv + kv, nv + VALUE_VARS, nv + VALUE_VARS]);
        }
    }
    let (slots, num_vars) = allocate("model commitment", &logs, MAX_MODEL_VARS)?;
    let linear = slots
        .chunks_exact(3)
        .map(|s| LinearModelSlots {
            weights: s[0],
            lower_table: s[1],
            upper_table: s[2],
        })
        .collect();
    Ok(ModelLayout { num_vars, linear })
}

/// A proved linear layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinearLayer {
    /// Index into the key's stages.
    pub stage: usize,
    pub input: Source,
    pub output: Source,
    /// `rows × k`.
    pub in_dims: Dims,
    /// `rows × n`.
    pub out_dims: Dims,
    /// Witness tables `Lc`, `Uc` (the looked-up thresholds), `rows × n` each.
    pub lower: Slot,
    pub upper: Slot,
    /// Limbs of `acc − Lc` and `Uc − acc`, least significant first.
    pub e_limbs: Vec<Slot>,
    pub f_limbs: Vec<Slot>,
    /// Multiplicities of the threshold table (`2^nv · 256`).
    pub multiplicities: Slot,
    pub model: LinearModelSlots,
}

/// A proved standalone ReLU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReluLayer {
    /// Index into the key's stages.
    pub stage: usize,
    pub input: Source,
    pub output: Source,
    pub dims: Dims,
    /// Multiplicities of the 256-row table `(v, max(v, 0))`.
    pub multiplicities: Slot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layer {
    Linear(LinearLayer),
    Relu(ReluLayer),
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

impl Circuit {
    /// The circuit for inputs of shape `input_shape` under `vk`.
    pub fn new(vk: &VerifyingKey, input_shape: &[usize]) -> Result<Self, StatementError> {
        check_input_shape(&vk.input, input_shape)?;
        let (protos, output_shape) = walk(&vk.stages, input_shape)?;
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
            if let Proto::Linear { stage, out_dims, .. } = p {
                let Stage::Linear(key) = &stages[*stage] else {
                    unreachable!("linear proto")
                };
                limb_logs.extend(std::iter::repeat_n(out_dims.vars(), 2 * key.limbs()));
            }
        }
        let (limb_slots, region_vars) = allocate("limb region", &limb_logs, MAX_WITNESS_VARS)?;
        // Top level: per layer [y (unless last), then linear: lower, upper, multiplicities | relu: multiplicities],
        // then the region and the range multiplicities.
        let mut logs = Vec::new();
        for (i, p) in protos.iter().enumerate() {
            let d = p.out_dims();
            if i != last {
                logs.push(d.vars());
            }
            match p {
                Proto::Linear { .. } => logs.extend([d.vars(), d.vars(), d.col_vars + VALUE_VARS]),
                Proto::Relu { .. } => logs.push(VALUE_VARS),
            }
        }
        logs.extend([region_vars, VALUE_VARS]);
        let (slots, witness_vars) = allocate("witness commitment", &logs, MAX_WITNESS_VARS)?;
        let range_region = slots[slots.len() - 2];
        let limb_slots: Vec<Slot> = limb_slots
            .into_iter()
            .map(|s| Slot {
                offset: range_region.offset + s.offset,
                log_size: s.log_size,
            })
            .collect();

        let mut next = slots.iter().copied();
        let mut limbs = limb_slots.into_iter();
        let mut outputs: Vec<Source> = Vec::with_capacity(protos.len());
        let mut layers = Vec::with_capacity(protos.len());
        let mut linear_index = 0;
        let source = |from: Option<usize>, outputs: &[Source]| from.map_or(Source::Input, |j| outputs[j]);
        for (i, p) in protos.iter().enumerate() {
            let output = if i == last {
                Source::Output
            } else {
                Source::Witness(next.next().expect("slot per output"))
            };
            let layer = match *p {
                Proto::Linear {
                    stage,
                    from,
                    in_dims,
                    out_dims,
                } => {
                    let Stage::Linear(key) = &stages[stage] else {
                        unreachable!("linear proto")
                    };
                    let [lower, upper, multiplicities] = [(); 3].map(|_| next.next().expect("slot"));
                    let e_limbs = limbs.by_ref().take(key.limbs()).collect();
                    let f_limbs = limbs.by_ref().take(key.limbs()).collect();
                    linear_index += 1;
                    Layer::Linear(LinearLayer {
                        stage,
                        input: source(from, &outputs),
                        output,
                        in_dims,
                        out_dims,
                        lower,
                        upper,
                        e_limbs,
                        f_limbs,
                        multiplicities,
                        model: model.linear[linear_index - 1],
                    })
                }
                Proto::Relu { stage, from, dims } => Layer::Relu(ReluLayer {
                    stage,
                    input: source(from, &outputs),
                    output,
                    dims,
                    multiplicities: next.next().expect("slot"),
                }),
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
