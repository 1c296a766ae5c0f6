//! Setup of the CNN stages: Conv and AveragePool keys from the engine's ops,
//! and `GlobalAveragePool` as the average pool whose window is the whole
//! `H × W` plane (one rounding of the exact sum by `H·W`, as the semantics
//! defines both). The plane's size must be fixed by the model's input
//! dimensions: setup reads it from a traced run on a zero probe input. The
//! same run tells which Linear layers read a flattened grid whose `H` or `W`
//! is not a power of two (LeNet-5's `16 × 5 × 5`): their weights are laid
//! out over the padded grid ([`linear_input_grid`]).

use veris_core::spec::Dim;
use veris_core::{Tensor, TensorData, TensorMap};
use veris_engine::exact::{AvgPool, Conv, ExactModel, ExactOp, GlobalAvgPool, MaxPool};

use super::key::RequantParams;
use super::key_cnn::{ConvKey, PoolKey, WindowKey};
use super::setup::{SetupError, channel_key};
use super::witness::Recorder;

pub(crate) fn conv_key(op: usize, c: &Conv) -> Result<ConvKey, SetupError> {
    let refuse = |what: &str| Err(SetupError::NotYetProvable(format!("op {op} (Conv): {what}")));
    if c.window.ceil_mode {
        return refuse("ceil_mode");
    }
    let k = u32::try_from(c.k()).map_err(|_| SetupError::NotYetProvable(format!("op {op}: conv too large")))?;
    Ok(ConvKey {
        c_in: c.c_in,
        group: c.group,
        window: window_key(&c.window),
        channels: channel_key(op, [k, c.c_out], c.relu, &c.weights, &c.bias, &c.requant)?,
    })
}

pub(crate) fn pool_key(p: &AvgPool) -> Result<PoolKey, SetupError> {
    let padded = p.window.pads.iter().any(|&v| v > 0);
    if p.window.ceil_mode || (padded && !p.count_include_pad) {
        return Err(SetupError::NotYetProvable(
            "an AveragePool whose window count varies (ceil_mode, or padding not counted)".into(),
        ));
    }
    Ok(PoolKey {
        window: window_key(&p.window),
        requant: RequantParams {
            multiplier: p.requant.multiplier,
            shift: p.requant.shift,
        },
    })
}

pub(crate) fn max_pool_key(op: usize, p: &MaxPool) -> Result<WindowKey, SetupError> {
    if p.window.ceil_mode {
        return Err(SetupError::NotYetProvable(format!("op {op} (MaxPool): ceil_mode")));
    }
    Ok(window_key(&p.window))
}

fn window_key(w: &veris_engine::exact::window::Window2d) -> WindowKey {
    WindowKey {
        kernel: w.kernel,
        strides: w.strides,
        dilations: w.dilations,
        pads: w.pads,
    }
}

/// The input shape of every op on a zero input whose symbolic dimensions are 1.
pub(crate) fn probe_shapes(model: &ExactModel) -> Result<Vec<Vec<usize>>, SetupError> {
    let refuse = |what: String| SetupError::NotYetProvable(format!("GlobalAveragePool: {what}"));
    let spec = &model.inputs()[0].spec;
    if spec.shape.iter().skip(1).any(|d| matches!(d, Dim::Symbol(_))) {
        return Err(refuse("the input has a symbolic dimension besides the batch".into()));
    }
    let shape: Vec<usize> = spec
        .shape
        .iter()
        .map(|d| match d {
            Dim::Fixed(v) => *v as usize,
            Dim::Symbol(_) => 1,
        })
        .collect();
    let zeros = vec![0f32; shape.iter().product()];
    let input = Tensor::new(&spec.name, shape, TensorData::Float32(zeros)).map_err(|e| refuse(e.to_string()))?;
    let mut trace = Recorder::default();
    model
        .run_traced(&TensorMap::from([(spec.name.clone(), input)]), &mut trace)
        .map_err(|e| refuse(e.to_string()))?;
    Ok(trace
        .ops
        .into_iter()
        .map(|(inputs, _)| inputs.first().map(|t| t.shape.clone()).unwrap_or_default())
        .collect())
}

/// `GlobalAveragePool` (op `op`) on an `[N, C, H, W]` input as the pool with an `H × W` window.
pub(crate) fn global_pool_key(
    model: &ExactModel,
    op: usize,
    p: &GlobalAvgPool,
    shapes: &mut Option<Vec<Vec<usize>>>,
) -> Result<PoolKey, SetupError> {
    if shapes.is_none() {
        *shapes = Some(probe_shapes(model)?);
    }
    let shape = shapes.as_ref().and_then(|s| s.get(op)).cloned().unwrap_or_default();
    let &[_, _, h, w] = shape.as_slice() else {
        return Err(SetupError::NotYetProvable(format!(
            "op {op}: GlobalAveragePool of a rank-{} tensor",
            shape.len()
        )));
    };
    let side = |v: usize| u32::try_from(v).map_err(|_| SetupError::NotYetProvable(format!("op {op}: plane too large")));
    Ok(PoolKey {
        window: WindowKey {
            kernel: [side(h)?, side(w)?],
            strides: [1, 1],
            dilations: [1, 1],
            pads: [0; 4],
        },
        requant: RequantParams {
            multiplier: p.requant.multiplier,
            shift: p.requant.shift,
        },
    })
}

/// The `[C, H, W]` grid that Linear op `op` (`k` features) reads through
/// Flatten / Reshape ops, when a grid layout is needed: the value before them
/// is `[N, C, H, W]` with `C·H·W = k` and `H` or `W` not a power of two (with
/// both powers of two the grid table already is the `N × k` matrix's). `None`
/// otherwise, or when the shapes cannot be probed (the layer then reads a
/// matrix, as before). The choice only lays out the weights; the circuit
/// checks at proving time that the producer's table has exactly this grid.
pub(crate) fn linear_input_grid(
    model: &ExactModel,
    op: usize,
    k: u32,
    shapes: &mut Option<Vec<Vec<usize>>>,
) -> Option<[u32; 3]> {
    let base = model.inputs().len() + model.consts().len();
    let ops = model.ops();
    // The last Flatten / Reshape before the Linear, walking back to the first of a chain.
    let mut reshape = None;
    let mut value = *ops.get(op)?.operands().first()? as usize;
    while let Some(j) = value.checked_sub(base) {
        match ops.get(j)? {
            ExactOp::Flatten { input, .. } | ExactOp::Reshape { input, .. } => {
                reshape = Some(j);
                value = *input as usize;
            }
            _ => break,
        }
    }
    let first = reshape?;
    if shapes.is_none() {
        *shapes = probe_shapes(model).ok();
    }
    let &[_, c, h, w] = shapes.as_ref()?.get(first)?.as_slice() else {
        return None;
    };
    let fits = c.checked_mul(h)?.checked_mul(w)? == k as usize;
    let grid = [c, h, w].map(|d| u32::try_from(d).ok());
    match grid {
        [Some(c), Some(h), Some(w)] if fits && !(h.is_power_of_two() && w.is_power_of_two()) => Some([c, h, w]),
        _ => None,
    }
}
