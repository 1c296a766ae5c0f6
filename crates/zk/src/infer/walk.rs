//! The shape walk: applies every stage's shape rule to the statement's input
//! shape and decides which layers are proved, with which dimensions, reading
//! which value. Witness slots are placed afterwards ([`super::circuit`]).

use super::circuit::Dims;
use super::error::StatementError;
use super::key::{InputDim, Stage};
use super::shape::{MAX_OP_ELEMENTS, flatten_shape, reshape_target};
use super::statement::element_count;

/// A layer before witness slots are placed.
pub(crate) enum Proto {
    Linear {
        stage: usize,
        from: Option<usize>,
        in_dims: Dims,
        out_dims: Dims,
    },
    Relu {
        stage: usize,
        from: Option<usize>,
        dims: Dims,
    },
}

impl Proto {
    pub fn out_dims(&self) -> Dims {
        match self {
            Proto::Linear { out_dims, .. } => *out_dims,
            Proto::Relu { dims, .. } => *dims,
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

/// ReLUs applied (directly or through other ReLUs) to the public input have
/// no layout of their own (the verifier evaluates the input in any layout):
/// they take their consumer's. ReLUs after a linear layer keep its layout.
fn relayout_input_relus(protos: &mut [Proto], last: usize, consumer: Dims) {
    let mut chain = vec![last];
    loop {
        match protos[*chain.last().expect("non-empty")] {
            Proto::Relu { from: None, .. } => break,
            Proto::Relu { from: Some(i), .. } => chain.push(i),
            Proto::Linear { .. } => return,
        }
    }
    for j in chain {
        if let Proto::Relu { dims, .. } = &mut protos[j] {
            *dims = consumer;
        }
    }
}

/// Applies every stage's shape rule; returns the proved layers and the output shape.
pub(crate) fn walk(stages: &[Stage], input_shape: &[usize]) -> Result<(Vec<Proto>, Vec<usize>), StatementError> {
    let mut shape = input_shape.to_vec();
    let mut protos: Vec<Proto> = Vec::new();
    // The value flowing along the chain: the input (None) or proto j's output.
    let mut current: Option<usize> = None;
    for (stage_index, stage) in stages.iter().enumerate() {
        let count = element_count(&shape).unwrap_or(usize::MAX);
        match stage {
            Stage::Linear(l) => {
                let (k, n) = (l.k as usize, l.n as usize);
                if shape.last() != Some(&k) {
                    return Err(StatementError::Shape {
                        what: "linear input",
                        detail: format!("shape {shape:?} does not end in k = {k}"),
                    });
                }
                let rows = count / k;
                if let Some(j) = current {
                    relayout_input_relus(&mut protos, j, Dims::new(rows, k));
                    if protos[j].out_dims().cols != k {
                        return Err(StatementError::NotYetProvable(format!(
                            "stage {stage_index}: a reshape between layers changes the row length"
                        )));
                    }
                }
                *shape.last_mut().expect("rank ≥ 1") = n;
                protos.push(Proto::Linear {
                    stage: stage_index,
                    from: current,
                    in_dims: Dims::new(rows, k),
                    out_dims: Dims::new(rows, n),
                });
            }
            Stage::Relu => {
                let dims = match current {
                    Some(j) => protos[j].out_dims(),
                    None => {
                        let last = shape.last().copied().unwrap_or(1);
                        Dims::new(count / last, last)
                    }
                };
                protos.push(Proto::Relu {
                    stage: stage_index,
                    from: current,
                    dims,
                });
            }
            Stage::Reshape(target) => shape = reshape_target(&shape, target)?,
            Stage::Flatten(axis) => shape = flatten_shape(&shape, *axis)?,
        }
        if matches!(stage, Stage::Linear(_) | Stage::Relu) {
            current = Some(protos.len() - 1);
        }
        if element_count(&shape).is_none_or(|c| c > MAX_OP_ELEMENTS) {
            return Err(StatementError::Shape {
                what: "op output",
                detail: format!("stage {stage_index} would produce more than 2^26 elements"),
            });
        }
    }
    if protos.is_empty() {
        return Err(StatementError::NotYetProvable(
            "the program has no linear or ReLU layer".into(),
        ));
    }
    Ok((protos, shape))
}
