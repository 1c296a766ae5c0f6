//! Tensors as they cross Veris boundaries: a dtype, a shape and flat
//! row-major data. Every constructor checks that data and shape agree.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Element types Veris accepts at model boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    Float32,
    Float64,
    Int64,
    Int32,
    Int8,
    Uint8,
    Bool,
}

impl DType {
    /// Every dtype, in code order.
    pub const ALL: [DType; 7] = [
        DType::Float32,
        DType::Float64,
        DType::Int64,
        DType::Int32,
        DType::Int8,
        DType::Uint8,
        DType::Bool,
    ];

    /// The name used in JSON (`float32`, `int64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Float64 => "float64",
            DType::Int64 => "int64",
            DType::Int32 => "int32",
            DType::Int8 => "int8",
            DType::Uint8 => "uint8",
            DType::Bool => "bool",
        }
    }

    /// Parses a JSON dtype name.
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The one-byte code used in binary encodings.
    pub fn code(self) -> u8 {
        match self {
            DType::Float32 => 1,
            DType::Float64 => 2,
            DType::Int64 => 3,
            DType::Int32 => 4,
            DType::Int8 => 5,
            DType::Uint8 => 6,
            DType::Bool => 7,
        }
    }

    /// Inverse of [`DType::code`].
    pub fn from_code(code: u8) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.code() == code)
    }

    /// Bytes per element in binary encodings.
    pub fn size(self) -> usize {
        match self {
            DType::Float64 | DType::Int64 => 8,
            DType::Float32 | DType::Int32 => 4,
            DType::Int8 | DType::Uint8 | DType::Bool => 1,
        }
    }

    /// Whether this is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Flat row-major tensor data, one variant per [`DType`].
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    Float32(Vec<f32>),
    Float64(Vec<f64>),
    Int64(Vec<i64>),
    Int32(Vec<i32>),
    Int8(Vec<i8>),
    Uint8(Vec<u8>),
    Bool(Vec<bool>),
}

impl TensorData {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            TensorData::Float32(_) => DType::Float32,
            TensorData::Float64(_) => DType::Float64,
            TensorData::Int64(_) => DType::Int64,
            TensorData::Int32(_) => DType::Int32,
            TensorData::Int8(_) => DType::Int8,
            TensorData::Uint8(_) => DType::Uint8,
            TensorData::Bool(_) => DType::Bool,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::Float32(v) => v.len(),
            TensorData::Float64(v) => v.len(),
            TensorData::Int64(v) => v.len(),
            TensorData::Int32(v) => v.len(),
            TensorData::Int8(v) => v.len(),
            TensorData::Uint8(v) => v.len(),
            TensorData::Bool(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of the first NaN or infinite element, if any.
    pub fn first_non_finite(&self) -> Option<usize> {
        match self {
            TensorData::Float32(v) => v.iter().position(|x| !x.is_finite()),
            TensorData::Float64(v) => v.iter().position(|x| !x.is_finite()),
            _ => None,
        }
    }
}

/// Why a tensor or a set of tensors is not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TensorError {
    #[error("tensor `{name}`: shape {shape:?} holds {expected} elements but data has {got}")]
    DataLength {
        name: String,
        shape: Vec<usize>,
        expected: usize,
        got: usize,
    },
    #[error("tensor `{name}`: {elements} elements exceed the limit of {limit}")]
    TooLarge { name: String, elements: u128, limit: usize },
    #[error("tensor `{name}`: rank {rank} exceeds the limit of {limit}")]
    RankTooLarge { name: String, rank: usize, limit: usize },
    #[error("{count} tensors exceed the limit of {limit}")]
    TooMany { count: usize, limit: usize },
    #[error("tensor name of {len} bytes exceeds the limit of {limit}")]
    NameTooLong { len: usize, limit: usize },
    #[error("all tensors together hold {elements} elements, over the limit of {limit}")]
    TotalTooLarge { elements: u128, limit: usize },
    #[error(
        "tensor `{name}`: unknown dtype `{dtype}` (expected one of float32, float64, int64, int32, int8, uint8, bool)"
    )]
    UnknownDType { name: String, dtype: String },
    #[error("tensor `{name}`: expected dtype {expected}, got {got}")]
    DType { name: String, expected: DType, got: DType },
    #[error("tensor `{name}`: expected shape {expected}, got {got:?}")]
    Shape {
        name: String,
        expected: String,
        got: Vec<usize>,
    },
    #[error("tensor `{name}`: element {index} is not finite")]
    NonFinite { name: String, index: usize },
    #[error("missing input tensor `{name}` (the model expects {expected})")]
    Missing { name: String, expected: String },
    #[error("unknown input tensor `{name}` (the model expects {expected})")]
    Unknown { name: String, expected: String },
    #[error("tensor `{name}`: {message}")]
    Json { name: String, message: String },
    #[error("invalid tensor JSON: {0}")]
    Syntax(String),
    #[error("a bare array input is only accepted for single-input models; this model has inputs {0}")]
    BareNeedsSingleInput(String),
    #[error("binary tensor encoding: {0}")]
    Binary(String),
}

/// Size limits applied to every tensor decoded from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorLimits {
    pub max_tensors: usize,
    pub max_rank: usize,
    pub max_name_len: usize,
    pub max_elements: usize,
    pub max_total_elements: usize,
}

impl Default for TensorLimits {
    fn default() -> Self {
        TensorLimits {
            max_tensors: 64,
            max_rank: 8,
            max_name_len: 256,
            max_elements: 4 << 20,
            max_total_elements: 8 << 20,
        }
    }
}

impl TensorLimits {
    /// Checks a shape against the limits and returns its element count.
    pub fn check_shape(&self, name: &str, shape: &[usize]) -> Result<usize, TensorError> {
        if shape.len() > self.max_rank {
            return Err(TensorError::RankTooLarge {
                name: name.into(),
                rank: shape.len(),
                limit: self.max_rank,
            });
        }
        let elements = shape.iter().map(|&d| d as u128).product::<u128>();
        if elements > self.max_elements as u128 {
            return Err(TensorError::TooLarge {
                name: name.into(),
                elements,
                limit: self.max_elements,
            });
        }
        Ok(elements as usize)
    }

    /// Checks the count, names and total size of a set of tensors.
    pub fn check_map(&self, map: &TensorMap) -> Result<(), TensorError> {
        if map.len() > self.max_tensors {
            return Err(TensorError::TooMany {
                count: map.len(),
                limit: self.max_tensors,
            });
        }
        let mut total = 0u128;
        for (name, t) in map {
            self.check_name(name)?;
            total += self.check_shape(name, t.shape())? as u128;
        }
        if total > self.max_total_elements as u128 {
            return Err(TensorError::TotalTooLarge {
                elements: total,
                limit: self.max_total_elements,
            });
        }
        Ok(())
    }

    /// Checks a tensor name's length.
    pub fn check_name(&self, name: &str) -> Result<(), TensorError> {
        if name.len() > self.max_name_len {
            return Err(TensorError::NameTooLong {
                len: name.len(),
                limit: self.max_name_len,
            });
        }
        Ok(())
    }
}

/// A dense tensor. Invariant: `data.len()` is the product of `shape`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: TensorData,
}

impl Tensor {
    /// A tensor, if `data` holds exactly the elements `shape` calls for.
    pub fn new(name: &str, shape: Vec<usize>, data: TensorData) -> Result<Self, TensorError> {
        let expected = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        match expected {
            Some(n) if n == data.len() => Ok(Tensor { shape, data }),
            _ => Err(TensorError::DataLength {
                name: name.into(),
                expected: expected.unwrap_or(usize::MAX),
                got: data.len(),
                shape,
            }),
        }
    }

    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn data(&self) -> &TensorData {
        &self.data
    }

    /// Consumes the tensor, returning shape and data.
    pub fn into_parts(self) -> (Vec<usize>, TensorData) {
        (self.shape, self.data)
    }

    /// The data as f32 values, if it is float32.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            TensorData::Float32(v) => Some(v),
            _ => None,
        }
    }
}

/// Named tensors, ordered by name (the canonical order of every encoding).
pub type TensorMap = BTreeMap<String, Tensor>;
