//! The model commitment's layout: per requantized stage (Linear, Conv,
//! AvgPool, in program order) its weight matrix (none for a pool) and its two
//! threshold tables, packed into one polynomial ([`super::slots`]).
//!
//! | stage | weights | `Ltab`, `Utab` |
//! |---|---|---|
//! | Linear `k → n` | `2^nv × 2^kv`, entry `(j, p)` | `2^nv · 256` each |
//! | Linear over a `C × H × W` grid | `2^nv × 2^(cv+hv+wv)`, entry `(j, (c·2^hv + y)·2^wv + x)` | `2^nv · 256` each |
//! | Conv `c_in → n`, `kh × kw`, `g` groups | `2^nv × 2^(cv+iv+jv)`, entry `(m, (c, i, j))`, `c < c_in/g`, each kernel axis padded on its own | `2^nv · 256` each |
//! | AvgPool, activation MatMul | — | `256` each (one function for every element) |
//! | LayerNorm over `n` positions | — | `2^(cv+1) · 256` each (positions, then the all-zero function of padded blocks) |

use super::VALUE_VARS;
use super::circuit::ceil_log2;
use super::error::StatementError;
use super::key::{LinearKey, MAX_MODEL_VARS, Stage};
use super::key_cnn::ConvKey;
use super::slots::{Slot, allocate};

/// One requantized stage's tables in the model commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModelSlots {
    /// The weight matrix (Linear and Conv).
    pub weights: Option<Slot>,
    /// Lower thresholds `L_j(v)` at index `j·256 + (v + 128)`.
    pub lower_table: Slot,
    /// Upper thresholds `U_j(v)`, same layout.
    pub upper_table: Slot,
}

/// The model commitment's layout: one entry per requantized stage, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelLayout {
    pub num_vars: usize,
    pub layers: Vec<ModelSlots>,
}

/// The variables of a conv kernel index `(c, i, j)`, `c < c_in/g`: `[cv, iv, jv]`.
pub(crate) fn kernel_vars(c: &ConvKey) -> [usize; 3] {
    [
        ceil_log2(c.group_channels() as usize),
        ceil_log2(c.window.kernel[0] as usize),
        ceil_log2(c.window.kernel[1] as usize),
    ]
}

/// The variables of a Linear layer's feature index: `⌈log k⌉` for a matrix
/// input, `cv + hv + wv` for a flattened grid ([`LinearKey::input_grid`]).
pub(crate) fn linear_feature_vars(l: &LinearKey) -> usize {
    match l.input_grid {
        Some(grid) => grid.iter().map(|&d| ceil_log2(d as usize)).sum(),
        None => ceil_log2(l.k as usize),
    }
}

/// `(log2 of the weight slot, channel variables)` of a requantized stage; `None` for other stages.
fn stage_logs(stage: &Stage) -> Option<(Option<usize>, usize)> {
    match stage {
        Stage::Linear(l) => {
            let nv = ceil_log2(l.n as usize);
            Some((Some(nv + linear_feature_vars(l)), nv))
        }
        Stage::Conv(c) => {
            let nv = ceil_log2(c.channels.n as usize);
            Some((Some(nv + kernel_vars(c).iter().sum::<usize>()), nv))
        }
        Stage::AvgPool(_) | Stage::MatMul(_) => Some((None, 0)),
        // One function per position plus the all-zero one of padded blocks.
        Stage::LayerNorm(k) => Some((None, k.col_vars() + 1)),
        Stage::Relu
        | Stage::MaxPool(_)
        | Stage::Lut(_)
        | Stage::Reshape(_)
        | Stage::Flatten(_)
        | Stage::Transpose(_)
        | Stage::Add(_)
        | Stage::Softmax(_) => None,
    }
}

/// Places every requantized stage's weights and threshold tables.
pub(crate) fn model_layout(stages: &[Stage]) -> Result<ModelLayout, StatementError> {
    let mut logs = Vec::new();
    let mut has_weights = Vec::new();
    for (weights, nv) in stages.iter().filter_map(stage_logs) {
        logs.extend(weights);
        logs.extend([nv + VALUE_VARS, nv + VALUE_VARS]);
        has_weights.push(weights.is_some());
    }
    let (slots, num_vars) = allocate("model commitment", &logs, MAX_MODEL_VARS)?;
    let mut next = slots.into_iter();
    let mut take = || next.next().expect("one slot per requested table");
    let layers = has_weights
        .into_iter()
        .map(|w| ModelSlots {
            weights: w.then(&mut take),
            lower_table: take(),
            upper_table: take(),
        })
        .collect();
    Ok(ModelLayout { num_vars, layers })
}
