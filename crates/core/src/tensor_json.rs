//! The JSON form of tensors.
//!
//! A tensor is `{"dtype": "float32", "shape": [1, 64], "data": [...]}` with
//! flat row-major data. Non-finite floats, which JSON numbers cannot
//! express, are written as the strings `"NaN"`, `"Infinity"` and
//! `"-Infinity"` (outputs may contain them; inputs are checked separately).
//! For a single-input model a bare nested array is accepted as the input,
//! with the shape read from the nesting and the dtype from the model.

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::spec::{TensorSpec, describe_specs};
use crate::tensor::{DType, Tensor, TensorData, TensorError, TensorLimits, TensorMap};

/// One JSON array element before its dtype is known.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Elem {
    Int(i128),
    Float(f64),
    Bool(bool),
}

impl<'de> Deserialize<'de> for Elem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Elem;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, a boolean, or one of \"NaN\", \"Infinity\", \"-Infinity\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Elem, E> {
                Ok(Elem::Int(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Elem, E> {
                Ok(Elem::Int(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Elem, E> {
                Ok(Elem::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Elem, E> {
                Ok(Elem::Bool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Elem, E> {
                match v {
                    "NaN" => Ok(Elem::Float(f64::NAN)),
                    "Infinity" => Ok(Elem::Float(f64::INFINITY)),
                    "-Infinity" => Ok(Elem::Float(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

fn elem_of(v: &Value) -> Option<Elem> {
    match v {
        Value::Bool(b) => Some(Elem::Bool(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(|i| Elem::Int(i.into()))
            .or_else(|| n.as_u64().map(|u| Elem::Int(u.into())))
            .or_else(|| n.as_f64().map(Elem::Float)),
        Value::String(s) => Elem::deserialize(de::value::StrDeserializer::<de::value::Error>::new(s)).ok(),
        _ => None,
    }
}

/// Converts untyped elements to `dtype`, rejecting values it cannot hold.
fn typed(name: &str, dtype: DType, elems: &[Elem]) -> Result<TensorData, TensorError> {
    let bad = |i: usize, what: &str| TensorError::Json {
        name: name.into(),
        message: format!("element {i} ({:?}) {what} for dtype {dtype}", elems[i]),
    };
    fn ints<T: TryFrom<i128>>(elems: &[Elem], bad: &dyn Fn(usize, &str) -> TensorError) -> Result<Vec<T>, TensorError> {
        elems
            .iter()
            .enumerate()
            .map(|(i, e)| match e {
                Elem::Int(v) => T::try_from(*v).map_err(|_| bad(i, "is out of range")),
                _ => Err(bad(i, "is not an integer")),
            })
            .collect()
    }
    let float = |i: usize, e: &Elem| match e {
        Elem::Int(v) => Ok(*v as f64),
        Elem::Float(v) => Ok(*v),
        Elem::Bool(_) => Err(bad(i, "is not a number")),
    };
    Ok(match dtype {
        DType::Float32 => TensorData::Float32(
            elems
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let v = float(i, e)?;
                    let f = v as f32;
                    if v.is_finite() && !f.is_finite() {
                        Err(bad(i, "is out of range"))
                    } else {
                        Ok(f)
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        DType::Float64 => TensorData::Float64(
            elems
                .iter()
                .enumerate()
                .map(|(i, e)| float(i, e))
                .collect::<Result<_, _>>()?,
        ),
        DType::Int64 => TensorData::Int64(ints(elems, &bad)?),
        DType::Int32 => TensorData::Int32(ints(elems, &bad)?),
        DType::Int8 => TensorData::Int8(ints(elems, &bad)?),
        DType::Uint8 => TensorData::Uint8(ints(elems, &bad)?),
        DType::Bool => TensorData::Bool(
            elems
                .iter()
                .enumerate()
                .map(|(i, e)| match e {
                    Elem::Bool(b) => Ok(*b),
                    _ => Err(bad(i, "is not a boolean")),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireTensor {
    dtype: String,
    shape: Vec<u64>,
    data: Vec<Elem>,
}

impl WireTensor {
    fn into_tensor(self, name: &str, limits: &TensorLimits) -> Result<Tensor, TensorError> {
        let dtype = DType::from_name(&self.dtype).ok_or_else(|| TensorError::UnknownDType {
            name: name.into(),
            dtype: self.dtype.clone(),
        })?;
        let shape: Vec<usize> = self
            .shape
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<_, _>>()
            .map_err(|_| TensorError::Json {
                name: name.into(),
                message: "dimension too large".into(),
            })?;
        limits.check_shape(name, &shape)?;
        let data = typed(name, dtype, &self.data)?;
        Tensor::new(name, shape, data)
    }
}

impl Serialize for Tensor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Tensor", 3)?;
        st.serialize_field("dtype", self.dtype().name())?;
        st.serialize_field("shape", self.shape())?;
        st.serialize_field("data", &DataJson(self.data()))?;
        st.end()
    }
}

struct DataJson<'a>(&'a TensorData);

impl Serialize for DataJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn floats<S: Serializer, T: Into<f64> + Copy + Serialize>(s: S, v: &[T]) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(v.len()))?;
            for &x in v {
                let f: f64 = x.into();
                if f.is_nan() {
                    seq.serialize_element("NaN")?;
                } else if f.is_infinite() {
                    seq.serialize_element(if f > 0.0 { "Infinity" } else { "-Infinity" })?;
                } else {
                    seq.serialize_element(&x)?;
                }
            }
            seq.end()
        }
        match self.0 {
            TensorData::Float32(v) => floats(s, v),
            TensorData::Float64(v) => floats(s, v),
            TensorData::Int64(v) => v.serialize(s),
            TensorData::Int32(v) => v.serialize(s),
            TensorData::Int8(v) => v.serialize(s),
            TensorData::Uint8(v) => v.serialize(s),
            TensorData::Bool(v) => v.serialize(s),
        }
    }
}

/// Deserializes under [`TensorLimits::default`]; decoders that know better
/// limits call [`decode_tensor`] instead.
impl<'de> Deserialize<'de> for Tensor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        WireTensor::deserialize(d)?
            .into_tensor("tensor", &TensorLimits::default())
            .map_err(de::Error::custom)
    }
}

/// Decodes one tensor in wire form.
pub fn decode_tensor(name: &str, value: &Value, limits: &TensorLimits) -> Result<Tensor, TensorError> {
    let wire = WireTensor::deserialize(value).map_err(|e| TensorError::Json {
        name: name.into(),
        message: e.to_string(),
    })?;
    wire.into_tensor(name, limits)
}

/// Decodes a bare nested array (`[[0.5, 1.0]]`) as a tensor of `dtype`.
pub fn decode_nested(name: &str, value: &Value, dtype: DType, limits: &TensorLimits) -> Result<Tensor, TensorError> {
    let mut shape = Vec::new();
    let mut cursor = value;
    while let Value::Array(items) = cursor {
        shape.push(items.len());
        if shape.len() > limits.max_rank {
            return Err(TensorError::RankTooLarge {
                name: name.into(),
                rank: shape.len(),
                limit: limits.max_rank,
            });
        }
        match items.first() {
            Some(first) => cursor = first,
            None => break,
        }
    }
    let count = limits.check_shape(name, &shape)?;
    let mut elems = Vec::with_capacity(count);
    flatten(name, value, &shape, &mut elems)?;
    Tensor::new(name, shape, typed(name, dtype, &elems)?)
}

fn flatten(name: &str, value: &Value, shape: &[usize], out: &mut Vec<Elem>) -> Result<(), TensorError> {
    let ragged = || TensorError::Json {
        name: name.into(),
        message: "nested array is not rectangular".into(),
    };
    match (value, shape.split_first()) {
        (Value::Array(items), Some((&len, rest))) if items.len() == len => {
            items.iter().try_for_each(|item| flatten(name, item, rest, out))
        }
        (Value::Array(_), _) => Err(ragged()),
        (leaf, None) => {
            let e = elem_of(leaf).ok_or_else(|| TensorError::Json {
                name: name.into(),
                message: format!("`{leaf}` is not a number"),
            })?;
            out.push(e);
            Ok(())
        }
        (_, Some(_)) => Err(ragged()),
    }
}

/// Decodes model inputs: an object mapping each input name to a wire tensor
/// (or to a nested array, dtype from the model), or, for a single-input
/// model, a bare nested array. Names, dtypes and shapes are checked against
/// `specs` by the caller with [`crate::spec::check_inputs`].
pub fn decode_inputs(value: &Value, specs: &[TensorSpec], limits: &TensorLimits) -> Result<TensorMap, TensorError> {
    let dtype_of = |name: &str| specs.iter().find(|s| s.name == name).map(|s| s.dtype);
    let map = match value {
        Value::Array(_) => {
            let [spec] = specs else {
                return Err(TensorError::BareNeedsSingleInput(describe_specs(specs)));
            };
            TensorMap::from([(spec.name.clone(), decode_nested(&spec.name, value, spec.dtype, limits)?)])
        }
        Value::Object(entries) => {
            if entries.len() > limits.max_tensors {
                return Err(TensorError::TooMany {
                    count: entries.len(),
                    limit: limits.max_tensors,
                });
            }
            let mut map = TensorMap::new();
            for (name, v) in entries {
                limits.check_name(name)?;
                let t = match (v, dtype_of(name)) {
                    (Value::Array(_), Some(dtype)) => decode_nested(name, v, dtype, limits)?,
                    (Value::Array(_), None) => {
                        return Err(TensorError::Unknown {
                            name: name.clone(),
                            expected: describe_specs(specs),
                        });
                    }
                    _ => decode_tensor(name, v, limits)?,
                };
                map.insert(name.clone(), t);
            }
            map
        }
        _ => {
            return Err(TensorError::Syntax(
                "inputs must be an object of named tensors or a nested array".into(),
            ));
        }
    };
    limits.check_map(&map)?;
    Ok(map)
}

/// Decodes an object of named wire tensors (e.g. a receipt's outputs).
pub fn decode_tensor_map(value: &Value, limits: &TensorLimits) -> Result<TensorMap, TensorError> {
    let Value::Object(entries) = value else {
        return Err(TensorError::Syntax("expected an object of named tensors".into()));
    };
    let mut map = TensorMap::new();
    for (name, v) in entries {
        limits.check_name(name)?;
        map.insert(name.clone(), decode_tensor(name, v, limits)?);
    }
    limits.check_map(&map)?;
    Ok(map)
}
