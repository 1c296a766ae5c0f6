//! The real functions behind the lookup tables, in f64, for the compiler
//! (table generation) and the float reference interpreter.
//!
//! They use the pure-Rust `libm` crate (a port of musl's libm: only IEEE-754
//! `+ − × ÷` and bit manipulation, no platform math library, no fused
//! multiply-add), so a table, and hence a compiled model's id, comes out the
//! same on every platform.

/// `e^x`.
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// `1 / (1 + e^(−x))`.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

/// Hyperbolic tangent.
pub fn tanh(x: f64) -> f64 {
    libm::tanh(x)
}

/// The error function.
pub fn erf(x: f64) -> f64 {
    libm::erf(x)
}

/// `x · Φ(x) = x/2 · (1 + erf(x / √2))` (ONNX `Gelu`, `approximate = "none"`).
pub fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2))
}

/// `x/2 · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))` (ONNX `Gelu`,
/// `approximate = "tanh"`).
pub fn gelu_tanh(x: f64) -> f64 {
    let c = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * x * (1.0 + libm::tanh(c * (x + 0.044715 * x * x * x)))
}

/// A pointwise function a unary lookup table can stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointwise {
    Sigmoid,
    Tanh,
    Erf,
    Gelu,
    GeluTanh,
}

impl Pointwise {
    /// The function's value at `x`.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Pointwise::Sigmoid => sigmoid(x),
            Pointwise::Tanh => tanh(x),
            Pointwise::Erf => erf(x),
            Pointwise::Gelu => gelu(x),
            Pointwise::GeluTanh => gelu_tanh(x),
        }
    }

    /// The ONNX operator name.
    pub fn name(self) -> &'static str {
        match self {
            Pointwise::Sigmoid => "Sigmoid",
            Pointwise::Tanh => "Tanh",
            Pointwise::Erf => "Erf",
            Pointwise::Gelu | Pointwise::GeluTanh => "Gelu",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(tanh(0.0), 0.0);
        assert!((erf(1.0) - 0.842_700_792_949_714_9).abs() < 1e-15);
        assert!((gelu(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((gelu_tanh(1.0) - 0.841_191_990_607_477_8).abs() < 1e-12);
        assert!((exp(1.0) - std::f64::consts::E).abs() < 1e-15);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
    }
}
