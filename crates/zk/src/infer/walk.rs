//! The shape walk: applies every stage's shape rule to the statement's input
//! shape and decides which layers are proved, with which layouts, reading
//! which value. Witness slots are placed afterwards ([`super::circuit`]).
//!
//! Layouts: a Linear layer reads and writes matrices (`rows × k → rows × n`);
//! Conv and AvgPool read and write NCHW grids. A value keeps its producer's
//! layout; a consumer accepts it only if the two layouts index the same
//! table (a grid flattened at axis 1 with `H`, `W` powers of two is the
//! matrix `N × C·H·W`), otherwise the program is "not yet provable".

use super::circuit::{Dims, MAX_WITNESS_VARS};
use super::error::StatementError;
use super::key::{InputDim, Stage};
use super::layout::{Grid, Layout};
use super::shape::{MAX_OP_ELEMENTS, flatten_shape, reshape_target};
use super::statement::element_count;
use super::view::VarMap;
use super::walk_matmul::{OperandB, Value, matmul_proto, read_earlier, read_view, transpose_view};

/// Which reduction proves a requantized layer's accumulators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Matmul sumcheck.
    Linear,
    /// Kernel sumcheck, then window sumcheck (one group).
    Conv,
    /// Kernel sumcheck over `(m, k)`, then window sumcheck over `(c, h, w)` (several groups).
    GroupedConv,
    /// Window sumcheck with unit taps.
    Pool,
    /// Activation × activation sumcheck over `(batch, p)` ([`super::matmul_act`]).
    MatMul,
}

/// A layer before witness slots are placed. `view`: the layer reads a
/// transpose of its producer's table ([`super::view`]).
pub(crate) enum Proto {
    Requant {
        stage: usize,
        kind: Kind,
        from: Option<usize>,
        view: Option<VarMap>,
        input: Layout,
        out: Layout,
        /// The right operand of an activation matmul.
        b: Option<Box<OperandB>>,
    },
    /// ReLU or a table `Lut`: one lookup of `(x, y)` pairs.
    Pointwise {
        stage: usize,
        from: Option<usize>,
        view: Option<VarMap>,
        layout: Layout,
    },
}

impl Proto {
    pub fn out_layout(&self) -> Layout {
        match self {
            Proto::Requant { out, .. } => *out,
            Proto::Pointwise { layout, .. } => *layout,
        }
    }
}

pub(crate) fn check_input_shape(dims: &[InputDim], shape: &[usize]) -> Result<(), StatementError> {
    let fits = dims.len() == shape.len()
        && dims.iter().zip(shape).all(|(d, &s)| match d {
            InputDim::Fixed(v) => *v == s as u64,
            InputDim::Symbolic => true,
        });
    let count = element_count(shape).unwrap_or(usize::MAX);
    if !fits || count == 0 || count > MAX_OP_ELEMENTS {
        return Err(StatementError::Shape {
            what: "input",
            detail: format!("shape {shape:?} does not fit the model's input {dims:?} (or is empty / too large)"),
        });
    }
    Ok(())
}

/// Whether a value laid out as `have` can be read in layout `want`.
fn same_table(have: Layout, want: Layout) -> bool {
    match (have, want) {
        // With power-of-two column counts both tables are the row-major data zero-padded
        // to `2^⌈log2(rows·cols)⌉` entries, so a reshape between them moves nothing.
        (Layout::Matrix(a), Layout::Matrix(b)) => {
            (a.cols == b.cols && a.rows == b.rows)
                || (a.cols.is_power_of_two() && b.cols.is_power_of_two() && a.rows * a.cols == b.rows * b.cols)
        }
        (Layout::Grid(g), Layout::Matrix(m)) => {
            let [n, c, h, w] = g.dims;
            m.rows == n && m.cols == c * h * w && h.is_power_of_two() && w.is_power_of_two()
        }
        (Layout::Grid(a), Layout::Grid(b)) => a == b,
        (Layout::Matrix(_), Layout::Grid(_)) => false,
    }
}

/// Makes the value `current` readable as `want`: pointwise layers applied
/// (directly or through other pointwise layers) to the public input take their consumer's layout
/// (the verifier evaluates the input in any layout); anything else must
/// already lie in a compatible layout.
fn connect(protos: &mut [Proto], current: Option<usize>, want: Layout, stage: usize) -> Result<(), StatementError> {
    let Some(last) = current else { return Ok(()) };
    if let Some(chain) = input_chain(protos, last) {
        for j in chain {
            if let Proto::Pointwise { layout, .. } = &mut protos[j] {
                *layout = want;
            }
        }
        return Ok(());
    }
    if !same_table(protos[last].out_layout(), want) {
        return Err(StatementError::NotYetProvable(format!(
            "stage {stage}: its input lies in a layout it cannot read (a reshape between layers)"
        )));
    }
    Ok(())
}

/// The pointwise layers from `last` back to the public input, if `last` is
/// reached from the input through pointwise layers only.
pub(crate) fn input_chain(protos: &[Proto], last: usize) -> Option<Vec<usize>> {
    let mut chain = vec![last];
    loop {
        match protos[*chain.last().expect("non-empty")] {
            Proto::Pointwise { from: None, .. } => return Some(chain),
            Proto::Pointwise { from: Some(i), .. } => chain.push(i),
            Proto::Requant { .. } => return None,
        }
    }
}

fn nchw(shape: &[usize], stage: usize) -> Result<[usize; 4], StatementError> {
    <[usize; 4]>::try_from(shape).map_err(|_| StatementError::Shape {
        what: "window op input",
        detail: format!("stage {stage}: shape {shape:?} is not NCHW"),
    })
}

/// The output grid of a window op, or why the input does not fit.
fn window_out(stage_index: usize, stage: &Stage, shape: &[usize]) -> Result<(Grid, Grid), StatementError> {
    let [n, c, h, w] = nchw(shape, stage_index)?;
    let (window, c_out) = match stage {
        Stage::Conv(k) => {
            if c != k.c_in as usize {
                return Err(StatementError::Shape {
                    what: "conv input",
                    detail: format!("{c} channels, the conv takes {}", k.c_in),
                });
            }
            (&k.window, k.channels.n as usize)
        }
        Stage::AvgPool(p) => (&p.window, c),
        _ => unreachable!("window stages only"),
    };
    let fit = |axis, len| {
        window.out_len(axis, len).ok_or_else(|| StatementError::Shape {
            what: "window op input",
            detail: format!("stage {stage_index}: the window does not fit {shape:?}"),
        })
    };
    let (input, out) = (Grid::new([n, c, h, w]), Grid::new([n, c_out, fit(0, h)?, fit(1, w)?]));
    // The selectors cost O(OH·kh + OW·kw); the padded grids are committed or evaluated.
    let taps = (out.dims[2] as u64 * u64::from(window.kernel[0])).max(out.dims[3] as u64 * u64::from(window.kernel[1]));
    let vars = input.total_vars().max(out.total_vars());
    if taps > MAX_OP_ELEMENTS as u64 || vars > MAX_WITNESS_VARS {
        return Err(StatementError::TooLarge {
            what: "window op (padded grid or taps per axis)",
            got: vars.max(64 - taps.leading_zeros() as usize),
            max: MAX_WITNESS_VARS,
        });
    }
    Ok((input, out))
}

/// Applies every stage's shape rule; returns the proved layers and the output shape.
pub(crate) fn walk(stages: &[Stage], input_shape: &[usize]) -> Result<(Vec<Proto>, Vec<usize>), StatementError> {
    let mut shape = input_shape.to_vec();
    let mut protos: Vec<Proto> = Vec::new();
    // The value flowing along the chain: the input (None) or proto j's output,
    // read through `view` when transposes lie between.
    let mut current: Option<usize> = None;
    let mut view: Option<VarMap> = None;
    // The value after each stage, for layers that read an earlier one (MatMul).
    let mut values: Vec<Value> = Vec::with_capacity(stages.len());
    for (stage_index, stage) in stages.iter().enumerate() {
        if let Stage::Reads(source, _) = stage {
            let v = read_earlier(&protos, &values, input_shape, *source, stage_index)?;
            (current, view, shape) = (v.from, v.view, v.shape);
        }
        let stage = stage.op();
        let count = element_count(&shape).unwrap_or(usize::MAX);
        let proto = match stage {
            Stage::Linear(l) => {
                let (k, n) = (l.k as usize, l.n as usize);
                if shape.last() != Some(&k) {
                    return Err(StatementError::Shape {
                        what: "linear input",
                        detail: format!("shape {shape:?} does not end in k = {k}"),
                    });
                }
                let rows = count / k;
                let input = Layout::Matrix(Dims::new(rows, k));
                let view = match view.take() {
                    Some(v) => Some(read_view(v, input, stage_index)?),
                    None => {
                        connect(&mut protos, current, input, stage_index)?;
                        None
                    }
                };
                *shape.last_mut().expect("rank ≥ 1") = n;
                Some(Proto::Requant {
                    stage: stage_index,
                    kind: Kind::Linear,
                    from: current,
                    view,
                    input,
                    out: Layout::Matrix(Dims::new(rows, n)),
                    b: None,
                })
            }
            Stage::Conv(_) | Stage::AvgPool(_) => {
                if view.is_some() {
                    return Err(StatementError::NotYetProvable(format!(
                        "stage {stage_index}: a window op reading a transpose"
                    )));
                }
                let (input, out) = window_out(stage_index, stage, &shape)?;
                connect(&mut protos, current, Layout::Grid(input), stage_index)?;
                shape = out.dims.to_vec();
                let kind = match stage {
                    Stage::Conv(c) if c.group > 1 => Kind::GroupedConv,
                    Stage::Conv(_) => Kind::Conv,
                    _ => Kind::Pool,
                };
                Some(Proto::Requant {
                    stage: stage_index,
                    kind,
                    from: current,
                    view: None,
                    input: Layout::Grid(input),
                    out: Layout::Grid(out),
                    b: None,
                })
            }
            Stage::Relu | Stage::Lut(_) => {
                let last = shape.last().copied().unwrap_or(1);
                let row_major = Layout::Matrix(Dims::new(count / last.max(1), last));
                let (layout, view) = match (current, view.take()) {
                    (_, Some(v)) => (row_major, Some(read_view(v, row_major, stage_index)?)),
                    (Some(j), None) => (protos[j].out_layout(), None),
                    (None, None) => (row_major, None),
                };
                Some(Proto::Pointwise {
                    stage: stage_index,
                    from: current,
                    view,
                    layout,
                })
            }
            Stage::Transpose(perm) => {
                let (out, map) = transpose_view(&protos, current, view.as_deref(), &shape, perm, stage_index)?;
                shape = out;
                view = Some(map);
                None
            }
            Stage::Reads(..) => {
                return Err(StatementError::NotYetProvable(format!(
                    "stage {stage_index}: a Reads stage of a Reads stage"
                )));
            }
            Stage::MatMul(key) => {
                let (proto, out) = matmul_proto(&protos, &values, key, stage_index)?;
                shape = out;
                view = None;
                Some(proto)
            }
            Stage::Reshape(target) => {
                shape = reshape_target(&shape, target)?;
                None
            }
            Stage::Flatten(axis) => {
                shape = flatten_shape(&shape, *axis)?;
                None
            }
        };
        if let Some(p) = proto {
            protos.push(p);
            current = Some(protos.len() - 1);
        }
        values.push(Value {
            from: current,
            view: view.clone(),
            shape: shape.clone(),
        });
        if element_count(&shape).is_none_or(|c| c > MAX_OP_ELEMENTS) {
            return Err(StatementError::Shape {
                what: "op output",
                detail: format!("stage {stage_index} would produce more than 2^26 elements"),
            });
        }
    }
    if protos.is_empty() {
        return Err(StatementError::NotYetProvable(
            "the program has no linear, window or ReLU layer".into(),
        ));
    }
    if view.is_some() {
        return Err(StatementError::NotYetProvable(
            "a transpose after the last proved layer (the output would be a view)".into(),
        ));
    }
    // The statement's output is the last layer's (a `Reads` stage may end elsewhere).
    if current != Some(protos.len() - 1) {
        return Err(StatementError::NotYetProvable(
            "the program's output is not the last proved layer's".into(),
        ));
    }
    Ok((protos, shape))
}
