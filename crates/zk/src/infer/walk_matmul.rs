//! The shape walk of an activation `MatMul` ([`super::matmul_act`]), whose
//! operands are two earlier values (each a proved layer's output, possibly
//! read through a transposed view, in its row-major padded table), and of
//! the pending transposed views of [`super::view`].

use super::circuit::{Dims, ceil_log2};
use super::error::StatementError;
use super::layout::Layout;
use super::matmul_act::{MatMulKey, MatMulVars};
use super::view::{VarMap, compose, transpose_map};
use super::walk::{Kind, Proto, input_chain};

/// A value of the program (the input or a stage's output): its producing
/// layer (`None`: the public input), the transposed view it is read
/// through, and its shape.
#[derive(Debug, Clone)]
pub(crate) struct Value {
    pub from: Option<usize>,
    pub view: Option<VarMap>,
    pub shape: Vec<usize>,
}

/// The right operand of an activation matmul layer before slots are placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OperandB {
    /// The producing layer.
    pub from: usize,
    pub view: Option<VarMap>,
    /// `B` as a row-major padded `count/N × N` matrix.
    pub layout: Layout,
    /// `[b, i, p, j]` variable counts.
    pub vars: MatMulVars,
}

fn refuse(stage: usize, what: impl std::fmt::Display) -> StatementError {
    StatementError::NotYetProvable(format!("stage {stage} (MatMul): {what}"))
}

/// An operand's producing layer and view, checked to be a row-major padded
/// table of `vars` variables (every axis but the first a power of two).
fn operand(
    protos: &[Proto],
    values: &[Value],
    index: u32,
    stage: usize,
) -> Result<(usize, Option<VarMap>, Vec<usize>), StatementError> {
    let v = values
        .get(index as usize)
        .ok_or_else(|| refuse(stage, format!("operand value {index} is not an earlier value")))?;
    let Some(j) = v.from else {
        return Err(refuse(stage, "an operand is the public input"));
    };
    if input_chain(protos, j).is_some() {
        return Err(refuse(stage, "an operand is a pointwise function of the public input"));
    }
    let count: usize = v.shape.iter().product();
    if v.shape.len() < 2 || v.shape[1..].iter().any(|d| !d.is_power_of_two()) || count == 0 {
        return Err(refuse(
            stage,
            format!(
                "operand shape {:?}: rank ≥ 2, axes after the first powers of two",
                v.shape
            ),
        ));
    }
    let row_major = match protos[j].out_layout() {
        Layout::Matrix(d) => d.cols.is_power_of_two() && (v.view.is_some() || d.rows * d.cols == count),
        Layout::Grid(_) => false,
    };
    let vars = v.view.as_ref().map_or(protos[j].out_layout().vars(), Vec::len);
    if !row_major || vars != ceil_log2(count) {
        return Err(refuse(stage, "an operand that is not a row-major padded table"));
    }
    Ok((j, v.view.clone(), v.shape.clone()))
}

/// The layer of `MatMul(a, b)` (`a`, `b`: value indices) and its output shape.
pub(crate) fn matmul_proto(
    protos: &[Proto],
    values: &[Value],
    key: &MatMulKey,
    [a, b]: [u32; 2],
    stage: usize,
) -> Result<(Proto, Vec<usize>), StatementError> {
    let (a_from, a_view, a) = operand(protos, values, a, stage)?;
    let (b_from, b_view, b) = operand(protos, values, b, stage)?;
    let r = a.len();
    let (m, k, n) = (a[r - 2], a[r - 1], b[b.len() - 1]);
    if b.len() != r || a[..r - 2] != b[..r - 2] || b[r - 2] != k || k != key.k as usize {
        return Err(StatementError::Shape {
            what: "matmul operands",
            detail: format!("{a:?} × {b:?} with K = {} (equal batch axes required)", key.k),
        });
    }
    let batch: usize = a[..r - 2].iter().product();
    let (bv, iv) = if r == 2 {
        (0, ceil_log2(m))
    } else {
        (ceil_log2(batch), ceil_log2(m))
    };
    let vars = [bv, iv, ceil_log2(k), ceil_log2(n)];
    let mut out_shape = a[..r - 2].to_vec();
    out_shape.extend([m, n]);
    let proto = Proto::Requant {
        stage,
        kind: Kind::MatMul,
        from: Some(a_from),
        view: a_view,
        input: Layout::Matrix(Dims::new(batch * m, k)),
        out: Layout::Matrix(Dims::new(batch * m, n)),
        b: Some(Box::new(OperandB {
            from: b_from,
            view: b_view,
            layout: Layout::Matrix(Dims::new(batch * k, n)),
            vars,
        })),
    };
    Ok((proto, out_shape))
}

/// Reads a pending transposed view in layout `want`: the view's table must
/// be the row-major padded table `want` is (a power-of-two column count).
pub(crate) fn read_view(view: VarMap, want: Layout, stage: usize) -> Result<VarMap, StatementError> {
    match want {
        Layout::Matrix(d) if d.cols.is_power_of_two() && d.vars() == view.len() => Ok(view),
        _ => Err(StatementError::NotYetProvable(format!(
            "stage {stage}: reads a transpose in a layout that is not its row-major padded table"
        ))),
    }
}

/// The variable map of a transpose of `current` (shape `shape`) by `perm`, on top of `view`.
pub(crate) fn transpose_view(
    protos: &[Proto],
    current: Option<usize>,
    view: Option<&[usize]>,
    shape: &[usize],
    perm: &[u8],
    stage: usize,
) -> Result<(Vec<usize>, VarMap), StatementError> {
    let refuse = |what: &str| {
        Err(StatementError::NotYetProvable(format!(
            "stage {stage}: a transpose of {what}"
        )))
    };
    let Some(j) = current else {
        return refuse("the model input");
    };
    if input_chain(protos, j).is_some() {
        return refuse("a pointwise function of the model input");
    }
    let flat = match protos[j].out_layout() {
        Layout::Matrix(d) => d.cols.is_power_of_two(),
        Layout::Grid(_) => false,
    };
    if !flat {
        return refuse("a grid or a matrix whose column count is not a power of two");
    }
    let (shape, map) = transpose_map(shape, perm)?;
    let map = compose(view, map);
    if map.len() != protos[j].out_layout().vars() {
        return refuse("a value whose shape does not match its table");
    }
    Ok((shape, map))
}
