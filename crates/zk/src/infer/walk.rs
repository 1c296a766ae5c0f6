//! The shape walk: applies every stage's shape rule to the statement's input
//! shape and decides which layers are proved, with which layouts, reading
//! which value. Witness slots are placed afterwards ([`super::circuit`]).
//! The program is a graph: each stage reads the values the key's operand
//! list names, so a value may have several consumers (each of them makes its
//! own claims on the producer's committed table, all opened together).
//!
//! Layouts: a Linear layer reads and writes matrices (`rows × k → rows × n`);
//! Conv and AvgPool read and write NCHW grids. A value keeps its producer's
//! layout; a consumer accepts it only if the two layouts index the same
//! table (a grid flattened at axis 1 with `H`, `W` powers of two is the
//! matrix `N × C·H·W`), otherwise the program is "not yet provable". A
//! Linear whose key names an input grid reads that grid itself: its weights
//! are laid out over the grid's padded positions (`docs/proof-system.md` §9.8).

use super::circuit::{Dims, MAX_WITNESS_VARS};
use super::error::StatementError;
use super::key::{InputDim, Stage};
use super::layout::{Grid, Layout};
use super::shape::{MAX_OP_ELEMENTS, flatten_shape, reshape_target};
use super::softmax::{MAX_SUM_BITS, SoftmaxKey};
use super::statement::element_count;
use super::view::VarMap;
use super::walk_matmul::{OperandB, Value, matmul_proto, read_view, transpose_view};
use super::window_max::every_window_reads_input;

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
    /// LayerNorm's product, block and sum sumchecks ([`super::norm`]).
    LayerNorm,
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
    /// A residual Add: both operands and the output share `layout`.
    Add {
        stage: usize,
        from: [Option<usize>; 2],
        layout: Layout,
    },
    /// A max pool from the `input` grid to the `out` grid ([`super::window_max`]).
    MaxPool {
        stage: usize,
        from: Option<usize>,
        input: Grid,
        out: Grid,
    },
    /// A Softmax along the last axis: input and output are `rows × L` matrices.
    Softmax {
        stage: usize,
        from: Option<usize>,
        view: Option<VarMap>,
        dims: Dims,
    },
}

impl Proto {
    pub fn out_layout(&self) -> Layout {
        match self {
            Proto::Requant { out, .. } => *out,
            Proto::Pointwise { layout, .. } | Proto::Add { layout, .. } => *layout,
            Proto::MaxPool { out, .. } => Layout::Grid(*out),
            Proto::Softmax { dims, .. } => Layout::Matrix(*dims),
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
/// (the verifier evaluates the input in any layout) while this consumer is
/// their first; anything else must already lie in a compatible layout.
/// `readers[j]` counts the consumers of proto `j` so far (this one included on return).
fn connect(
    protos: &mut [Proto],
    readers: &mut [usize],
    current: Option<usize>,
    want: Layout,
    stage: usize,
) -> Result<(), StatementError> {
    let Some(last) = current else { return Ok(()) };
    let mut chain = vec![last];
    let from_input = loop {
        let j = *chain.last().expect("non-empty");
        // Only a chain whose every pointwise layer has no other reader may move.
        let own = if j == last { 0 } else { 1 };
        if readers[j] != own {
            break false;
        }
        match protos[j] {
            Proto::Pointwise { from: None, .. } => break true,
            Proto::Pointwise { from: Some(i), .. } => chain.push(i),
            Proto::Requant { .. } | Proto::Add { .. } | Proto::MaxPool { .. } | Proto::Softmax { .. } => break false,
        }
    };
    readers[last] += 1;
    if from_input {
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
            Proto::Requant { .. } | Proto::Add { .. } | Proto::MaxPool { .. } | Proto::Softmax { .. } => return None,
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
        Stage::MaxPool(w) => (w, c),
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
    if matches!(stage, Stage::MaxPool(_)) && !every_window_reads_input(window, &input, &out) {
        return Err(StatementError::Shape {
            what: "max pool input",
            detail: format!("stage {stage_index}: a window of {shape:?} lies in the padding only"),
        });
    }
    Ok((input, out))
}

/// Applies every stage's shape rule; returns the proved layers and the output
/// shape (the last stage's). `operands` is checked by the key.
pub(crate) fn walk(
    stages: &[Stage],
    operands: &[Vec<u32>],
    input_shape: &[usize],
) -> Result<(Vec<Proto>, Vec<usize>), StatementError> {
    let mut protos: Vec<Proto> = Vec::new();
    let mut readers: Vec<usize> = Vec::new();
    // Value 0 is the input, value `i + 1` stage `i`'s output (a proto's
    // output, read through `view` when transposes lie between).
    let mut values: Vec<Value> = vec![Value {
        from: None,
        view: None,
        shape: input_shape.to_vec(),
    }];
    for (stage_index, (stage, ops)) in stages.iter().zip(operands).enumerate() {
        let Value {
            from: current,
            mut view,
            mut shape,
        } = values[ops[0] as usize].clone();
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
                let input = match l.input_grid {
                    // The weights are laid out over this grid: only a producer with exactly
                    // this grid (or the public input, padded by the verifier) is read.
                    Some([c, h, w]) => {
                        if view.is_some() {
                            return Err(StatementError::NotYetProvable(format!(
                                "stage {stage_index}: a Linear over a grid reading a transpose"
                            )));
                        }
                        Layout::Grid(Grid::new([rows, c as usize, h as usize, w as usize]))
                    }
                    None => Layout::Matrix(Dims::new(rows, k)),
                };
                let view = match view.take() {
                    Some(v) => Some(read_view(v, input, stage_index)?),
                    None => {
                        connect(&mut protos, &mut readers, current, input, stage_index)?;
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
            Stage::LayerNorm(key) => {
                let rank = shape.len() as i64;
                let axis = if key.axis < 0 { key.axis + rank } else { key.axis };
                let block = (0..rank)
                    .contains(&axis)
                    .then(|| shape[axis as usize..].iter().product::<usize>());
                let n = key.n as usize;
                if block != Some(n) {
                    return Err(StatementError::Shape {
                        what: "layernorm input",
                        detail: format!("axes from {} of {shape:?} do not hold n = {n} elements", key.axis),
                    });
                }
                let layout = Layout::Matrix(Dims::new(count / n, n));
                let view = match view.take() {
                    Some(v) => Some(read_view(v, layout, stage_index)?),
                    None => {
                        connect(&mut protos, &mut readers, current, layout, stage_index)?;
                        None
                    }
                };
                Some(Proto::Requant {
                    stage: stage_index,
                    kind: Kind::LayerNorm,
                    from: current,
                    view,
                    input: layout,
                    out: layout,
                    b: None,
                })
            }
            Stage::Conv(_) | Stage::AvgPool(_) | Stage::MaxPool(_) => {
                if view.is_some() {
                    return Err(StatementError::NotYetProvable(format!(
                        "stage {stage_index}: a window op reading a transpose"
                    )));
                }
                let (input, out) = window_out(stage_index, stage, &shape)?;
                connect(&mut protos, &mut readers, current, Layout::Grid(input), stage_index)?;
                shape = out.dims.to_vec();
                Some(match stage {
                    Stage::MaxPool(_) => Proto::MaxPool {
                        stage: stage_index,
                        from: current,
                        input,
                        out,
                    },
                    _ => Proto::Requant {
                        stage: stage_index,
                        kind: match stage {
                            Stage::Conv(c) if c.group > 1 => Kind::GroupedConv,
                            Stage::Conv(_) => Kind::Conv,
                            _ => Kind::Pool,
                        },
                        from: current,
                        view: None,
                        input: Layout::Grid(input),
                        out: Layout::Grid(out),
                        b: None,
                    },
                })
            }
            Stage::Relu | Stage::Lut(_) => {
                let (layout, view) = match view.take() {
                    Some(v) => {
                        let last = shape.last().copied().unwrap_or(1);
                        let row_major = Layout::Matrix(Dims::new(count / last.max(1), last));
                        (row_major, Some(read_view(v, row_major, stage_index)?))
                    }
                    None => (value_layout(&protos, current, &shape), None),
                };
                if let Some(j) = current {
                    readers[j] += 1;
                }
                Some(Proto::Pointwise {
                    stage: stage_index,
                    from: current,
                    view,
                    layout,
                })
            }
            Stage::Add(_) => {
                let other = values[ops[1] as usize].clone();
                if view.is_some() || other.view.is_some() {
                    return Err(StatementError::NotYetProvable(format!(
                        "stage {stage_index}: an Add reading a transpose"
                    )));
                }
                if other.shape != shape {
                    return Err(StatementError::NotYetProvable(format!(
                        "stage {stage_index}: Add of shapes {shape:?} and {:?} (broadcasting)",
                        other.shape
                    )));
                }
                // The operands' common layout: a proved producer's, else the default.
                let anchor = [current, other.from]
                    .into_iter()
                    .flatten()
                    .find(|&j| input_chain(&protos, j).is_none());
                let layout = value_layout(&protos, anchor, &shape);
                connect(&mut protos, &mut readers, current, layout, stage_index)?;
                connect(&mut protos, &mut readers, other.from, layout, stage_index)?;
                Some(Proto::Add {
                    stage: stage_index,
                    from: [current, other.from],
                    layout,
                })
            }
            Stage::Softmax(key) => {
                let dims = softmax_dims(key, &shape, stage_index)?;
                let input = Layout::Matrix(dims);
                let view = match view.take() {
                    Some(v) => Some(read_view(v, input, stage_index)?),
                    None => {
                        connect(&mut protos, &mut readers, current, input, stage_index)?;
                        None
                    }
                };
                Some(Proto::Softmax {
                    stage: stage_index,
                    from: current,
                    view,
                    dims,
                })
            }
            Stage::Transpose(perm) => {
                let (out, map) = transpose_view(&protos, current, view.as_deref(), &shape, perm, stage_index)?;
                shape = out;
                view = Some(map);
                None
            }
            Stage::MatMul(key) => {
                let (proto, out) = matmul_proto(&protos, &values, key, [ops[0], ops[1]], stage_index)?;
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
        let from = match proto {
            Some(p) => {
                protos.push(p);
                readers.push(0);
                view = None;
                Some(protos.len() - 1)
            }
            None => current,
        };
        if element_count(&shape).is_none_or(|c| c > MAX_OP_ELEMENTS) {
            return Err(StatementError::Shape {
                what: "op output",
                detail: format!("stage {stage_index} would produce more than 2^26 elements"),
            });
        }
        values.push(Value { from, view, shape });
    }
    let last = values.pop().expect("at least one stage");
    if protos.is_empty() || last.from != Some(protos.len() - 1) {
        return Err(StatementError::NotYetProvable(
            "the program's output is not its last proved layer's output".into(),
        ));
    }
    if last.view.is_some() {
        return Err(StatementError::NotYetProvable(
            "a transpose after the last proved layer (the output would be a view)".into(),
        ));
    }
    Ok((protos, last.shape))
}

/// The `rows × L` matrix a Softmax reads (lanes along the last axis, the
/// only axis proved), or why it is refused.
fn softmax_dims(key: &SoftmaxKey, shape: &[usize], stage: usize) -> Result<Dims, StatementError> {
    let refuse = |what: String| {
        Err(StatementError::NotYetProvable(format!(
            "stage {stage} (Softmax): {what}"
        )))
    };
    let rank = shape.len() as i64;
    let axis = if key.axis < 0 { key.axis + rank } else { key.axis };
    if rank == 0 || axis != rank - 1 {
        return refuse(format!(
            "axis {} of rank {rank} (only the last axis is proved)",
            key.axis
        ));
    }
    let len = shape[shape.len() - 1];
    let count = element_count(shape).unwrap_or(0);
    let dims = Dims::new(count / len.max(1), len);
    if len == 0 || dims.col_vars + usize::from(key.exp_bits) > MAX_SUM_BITS {
        return refuse(format!(
            "lanes of {len} at precision {} (2^(cv + P) > 2^50)",
            key.exp_bits
        ));
    }
    Ok(dims)
}

/// The layout a value lies in: its proved producer's, or for the input a
/// `rows × last-dimension` matrix.
fn value_layout(protos: &[Proto], holder: Option<usize>, shape: &[usize]) -> Layout {
    match holder {
        Some(j) => protos[j].out_layout(),
        None => {
            let count = element_count(shape).unwrap_or(0);
            let last = shape.last().copied().unwrap_or(1).max(1);
            Layout::Matrix(Dims::new(count / last, last))
        }
    }
}
