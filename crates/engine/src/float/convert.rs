//! Conversions between Veris tensors and tract's: element types, declared
//! shapes, and tensor values in both directions.

use tract_onnx::prelude::{DatumType, TDim, Tensor as TractTensor, TypedFact};
use veris_core::{DType, Dim, Tensor, TensorData, TensorSpec};

use crate::EngineError;

/// The Veris dtype of a tract element type, if Veris carries it.
pub(crate) fn dtype_from_tract(dt: DatumType) -> Option<DType> {
    Some(match dt {
        DatumType::F32 => DType::Float32,
        DatumType::F64 => DType::Float64,
        DatumType::I64 => DType::Int64,
        DatumType::I32 => DType::Int32,
        DatumType::I8 => DType::Int8,
        DatumType::U8 => DType::Uint8,
        DatumType::Bool => DType::Bool,
        _ => return None,
    })
}

/// A declared dimension: an integer is fixed; anything else (a symbol such
/// as `N`, or an expression such as `2*N` on an output) is symbolic and
/// spelled the way tract prints it.
pub(crate) fn dim_from_tract(d: &TDim) -> Dim {
    match d {
        TDim::Val(v) if *v >= 0 => Dim::Fixed(*v as u64),
        other => Dim::Symbol(other.to_string()),
    }
}

/// The spec of one boundary tensor, from its name and tract's typed fact.
pub(crate) fn spec_from_fact(name: &str, fact: &TypedFact) -> Result<TensorSpec, EngineError> {
    let dtype = dtype_from_tract(fact.datum_type).ok_or_else(|| EngineError::UnsupportedDType {
        tensor: name.to_string(),
        dtype: format!("{:?}", fact.datum_type),
    })?;
    Ok(TensorSpec {
        name: name.to_string(),
        dtype,
        shape: fact.shape.iter().map(dim_from_tract).collect(),
    })
}

/// Copies a Veris tensor into a tract tensor (one copy of the data).
pub(crate) fn to_tract(name: &str, t: &Tensor) -> Result<TractTensor, EngineError> {
    let shape = t.shape();
    let made = match t.data() {
        TensorData::Float32(v) => TractTensor::from_shape(shape, v),
        TensorData::Float64(v) => TractTensor::from_shape(shape, v),
        TensorData::Int64(v) => TractTensor::from_shape(shape, v),
        TensorData::Int32(v) => TractTensor::from_shape(shape, v),
        TensorData::Int8(v) => TractTensor::from_shape(shape, v),
        TensorData::Uint8(v) => TractTensor::from_shape(shape, v),
        TensorData::Bool(v) => TractTensor::from_shape(shape, v),
    };
    // Unreachable for a valid `Tensor` (its data length matches its shape),
    // but reported rather than assumed.
    made.map_err(|e| EngineError::Run {
        reason: format!("input `{name}`: {e:#}"),
    })
}

/// Copies a tract output tensor into a Veris tensor.
pub(crate) fn from_tract(name: &str, t: &TractTensor) -> Result<Tensor, EngineError> {
    fn copy<T: tract_onnx::prelude::Datum + Copy>(name: &str, t: &TractTensor) -> Result<Vec<T>, EngineError> {
        let view = t.try_as_plain_ram();
        view.and_then(|v| v.as_slice::<T>().map(<[T]>::to_vec))
            .map_err(|e| EngineError::Run {
                reason: format!("output `{name}`: {e:#}"),
            })
    }
    let data = match t.datum_type() {
        DatumType::F32 => TensorData::Float32(copy(name, t)?),
        DatumType::F64 => TensorData::Float64(copy(name, t)?),
        DatumType::I64 => TensorData::Int64(copy(name, t)?),
        DatumType::I32 => TensorData::Int32(copy(name, t)?),
        DatumType::I8 => TensorData::Int8(copy(name, t)?),
        DatumType::U8 => TensorData::Uint8(copy(name, t)?),
        DatumType::Bool => TensorData::Bool(copy(name, t)?),
        other => {
            return Err(EngineError::UnsupportedDType {
                tensor: name.to_string(),
                dtype: format!("{other:?}"),
            });
        }
    };
    Tensor::new(name, t.shape().to_vec(), data).map_err(EngineError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_veris_dtype_round_trips_through_tract() {
        let cases = [
            TensorData::Float32(vec![1.5, -0.25]),
            TensorData::Float64(vec![1.5, -0.25]),
            TensorData::Int64(vec![i64::MIN, 7]),
            TensorData::Int32(vec![i32::MAX, -7]),
            TensorData::Int8(vec![-128, 127]),
            TensorData::Uint8(vec![0, 255]),
            TensorData::Bool(vec![true, false]),
        ];
        for data in cases {
            let dtype = data.dtype();
            let t = Tensor::new("x", vec![2, 1], data).unwrap();
            let tract = to_tract("x", &t).unwrap();
            assert_eq!(dtype_from_tract(tract.datum_type()), Some(dtype));
            assert_eq!(from_tract("x", &tract).unwrap(), t);
        }
    }

    #[test]
    fn unsupported_dtypes_are_named() {
        assert_eq!(dtype_from_tract(DatumType::F16), None);
        assert_eq!(dtype_from_tract(DatumType::String), None);
        let t = TractTensor::from_shape(&[1], &[7u16]).unwrap();
        assert_eq!(
            from_tract("y", &t),
            Err(EngineError::UnsupportedDType {
                tensor: "y".into(),
                dtype: "U16".into()
            })
        );
    }

    #[test]
    fn dims_are_fixed_or_symbolic() {
        assert_eq!(dim_from_tract(&TDim::Val(64)), Dim::Fixed(64));
        let scope = tract_onnx::prelude::SymbolScope::default();
        let n = scope.sym("N");
        assert_eq!(dim_from_tract(&TDim::Sym(n.clone())), Dim::Symbol("N".into()));
        let twice = TDim::MulInt(2, Box::new(TDim::Sym(n)));
        assert_eq!(dim_from_tract(&twice), Dim::Symbol("2*N".into()));
    }
}
