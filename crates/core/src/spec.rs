//! What a model expects at its boundary: input and output names, dtypes and
//! shapes (with symbolic dimensions such as a batch size `N`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tensor::{DType, TensorError, TensorMap};

/// One dimension of a model's declared shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    /// A fixed size.
    Fixed(u64),
    /// A symbolic size (any value is accepted), e.g. `"N"`.
    Symbol(String),
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Symbol(s) => f.write_str(s),
        }
    }
}

/// Name, dtype and shape of one model input or output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<Dim>,
}

impl TensorSpec {
    /// The shape as text, e.g. `[N, 64]`.
    pub fn shape_text(&self) -> String {
        let dims: Vec<String> = self.shape.iter().map(Dim::to_string).collect();
        format!("[{}]", dims.join(", "))
    }

    /// Whether a concrete shape fits this spec (same rank, fixed dims equal).
    pub fn accepts_shape(&self, shape: &[usize]) -> bool {
        shape.len() == self.shape.len()
            && self.shape.iter().zip(shape).all(|(d, &s)| match d {
                Dim::Fixed(n) => *n == s as u64,
                Dim::Symbol(_) => true,
            })
    }

    /// A description like `input: float32[N, 64]`.
    pub fn describe(&self) -> String {
        format!("{}: {}{}", self.name, self.dtype, self.shape_text())
    }
}

/// `a: float32[N, 64], b: int64[1]`.
pub fn describe_specs(specs: &[TensorSpec]) -> String {
    let parts: Vec<String> = specs.iter().map(TensorSpec::describe).collect();
    parts.join(", ")
}

/// Checks that `inputs` has exactly the tensors `specs` names, each with
/// the declared dtype and a fitting shape, and (if `finite`) no NaN or
/// infinite values.
pub fn check_inputs(specs: &[TensorSpec], inputs: &TensorMap, finite: bool) -> Result<(), TensorError> {
    let expected = describe_specs(specs);
    for name in inputs.keys() {
        if !specs.iter().any(|s| &s.name == name) {
            return Err(TensorError::Unknown {
                name: name.clone(),
                expected,
            });
        }
    }
    for spec in specs {
        let Some(t) = inputs.get(&spec.name) else {
            return Err(TensorError::Missing {
                name: spec.name.clone(),
                expected,
            });
        };
        if t.dtype() != spec.dtype {
            return Err(TensorError::DType {
                name: spec.name.clone(),
                expected: spec.dtype,
                got: t.dtype(),
            });
        }
        if !spec.accepts_shape(t.shape()) {
            return Err(TensorError::Shape {
                name: spec.name.clone(),
                expected: spec.shape_text(),
                got: t.shape().to_vec(),
            });
        }
        if finite && let Some(index) = t.data().first_non_finite() {
            return Err(TensorError::NonFinite {
                name: spec.name.clone(),
                index,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{Tensor, TensorData};

    fn spec() -> Vec<TensorSpec> {
        vec![TensorSpec {
            name: "input".into(),
            dtype: DType::Float32,
            shape: vec![Dim::Symbol("N".into()), Dim::Fixed(2)],
        }]
    }

    fn one(name: &str, shape: Vec<usize>, data: TensorData) -> TensorMap {
        let t = Tensor::new(name, shape, data).unwrap();
        TensorMap::from([(name.to_string(), t)])
    }

    #[test]
    fn accepts_matching_inputs_with_any_batch() {
        let ok = one("input", vec![3, 2], TensorData::Float32(vec![0.5; 6]));
        assert_eq!(check_inputs(&spec(), &ok, true), Ok(()));
    }

    #[test]
    fn names_the_offending_tensor() {
        let specs = spec();
        let wrong_name = one("x", vec![1, 2], TensorData::Float32(vec![0.0; 2]));
        assert!(
            matches!(check_inputs(&specs, &wrong_name, true), Err(TensorError::Unknown { name, .. }) if name == "x")
        );
        assert!(
            matches!(check_inputs(&specs, &TensorMap::new(), true), Err(TensorError::Missing { name, .. }) if name == "input")
        );
        let wrong_dtype = one("input", vec![1, 2], TensorData::Int64(vec![0; 2]));
        assert!(matches!(
            check_inputs(&specs, &wrong_dtype, true),
            Err(TensorError::DType { .. })
        ));
        let wrong_shape = one("input", vec![1, 3], TensorData::Float32(vec![0.0; 3]));
        let err = check_inputs(&specs, &wrong_shape, true).unwrap_err();
        assert_eq!(err.to_string(), "tensor `input`: expected shape [N, 2], got [1, 3]");
        let nan = one("input", vec![1, 2], TensorData::Float32(vec![0.0, f32::NAN]));
        assert_eq!(
            check_inputs(&specs, &nan, true),
            Err(TensorError::NonFinite {
                name: "input".into(),
                index: 1
            })
        );
        assert_eq!(check_inputs(&specs, &nan, false), Ok(()));
    }
}
