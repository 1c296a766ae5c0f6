//! The integer arithmetic of the semantics: requantization, the input
//! quantization rule, and (compile time only) choosing multipliers.

/// An integer multiplier and right shift standing for the real ratio
/// `multiplier / 2^shift`. Invariants: `1 <= multiplier < 2^31`,
/// `1 <= shift <= 126`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Requant {
    pub multiplier: u32,
    pub shift: u8,
}

impl Requant {
    pub const MAX_MULTIPLIER: u32 = (1 << 31) - 1;
    pub const MAX_SHIFT: u8 = 126;

    /// Whether the invariants hold.
    pub fn is_valid(self) -> bool {
        (1..=Self::MAX_MULTIPLIER).contains(&self.multiplier) && (1..=Self::MAX_SHIFT).contains(&self.shift)
    }

    /// `(x · M + 2^(s−1)) >> s` in i128 with an arithmetic (floor) shift:
    /// `x · M / 2^s` rounded to nearest, ties toward +∞. Not saturated.
    pub fn apply(self, x: i64) -> i128 {
        let s = u32::from(self.shift);
        (i128::from(x) * i128::from(self.multiplier) + (1i128 << (s - 1))) >> s
    }

    /// [`Requant::apply`] saturated to `[lo, hi]`.
    pub fn apply_sat(self, x: i64, lo: i64, hi: i64) -> i64 {
        self.apply(x).clamp(i128::from(lo), i128::from(hi)) as i64
    }

    /// The multiplier and shift closest to `ratio` with `M` in
    /// `[2^30, 2^31)` (compile time only). `None` when `ratio` is not finite
    /// and positive, or lies outside `[2^-96, 2^30)`.
    pub fn for_ratio(ratio: f64) -> Option<Requant> {
        if !(ratio.is_finite() && ratio > 0.0) {
            return None;
        }
        // ratio = f · 2^e with f in [0.5, 1): scaling by 2 is exact in f64.
        let (mut f, mut e) = (ratio, 0i32);
        while f >= 1.0 {
            f /= 2.0;
            e += 1;
        }
        while f < 0.5 {
            f *= 2.0;
            e -= 1;
        }
        let mut m = (f * 2_147_483_648.0).round() as u64; // in [2^30, 2^31]
        let mut shift = 31 - e;
        if m == 1 << 31 {
            m = 1 << 30;
            shift -= 1;
        }
        let r = Requant {
            multiplier: u32::try_from(m).ok()?,
            shift: u8::try_from(shift).ok()?,
        };
        r.is_valid().then_some(r)
    }

    /// The real ratio this stands for (for documentation and tests).
    pub fn ratio(self) -> f64 {
        f64::from(self.multiplier) / 2f64.powi(i32::from(self.shift))
    }
}

/// The input rule: `x` (a finite f32) quantized by `r` (standing for
/// `1/scale`): `saturate(round_half_away_from_zero(x · M / 2^s))`, computed
/// exactly from the bits of `x` with integers only.
pub fn quantize_input(x: f32, r: Requant, lo: i64, hi: i64) -> i64 {
    veris_core::quant::quantize_f32(x, r.multiplier, r.shift, lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requantization_rounds_half_up_with_a_floor_shift() {
        // ratio 1/4: 6/4 = 1.5 → 2; −6/4 = −1.5 → −1; −7/4 = −1.75 → −2.
        let q = Requant {
            multiplier: 1 << 30,
            shift: 32,
        };
        assert_eq!(q.apply(6), 2);
        assert_eq!(q.apply(-6), -1);
        assert_eq!(q.apply(-7), -2);
        assert_eq!(q.apply(-5), -1);
        assert_eq!(q.apply_sat(-1000, -128, 127), -128);
    }

    #[test]
    fn multipliers_approximate_ratios() {
        for ratio in [1e-9, 0.003, 0.5, 1.0, 1.5, 127.0, 1e6] {
            let r = Requant::for_ratio(ratio).unwrap();
            assert!(r.multiplier >= 1 << 30);
            assert!(((r.ratio() - ratio) / ratio).abs() < 1e-9, "{ratio}");
        }
        assert_eq!(Requant::for_ratio(0.0), None);
        assert_eq!(Requant::for_ratio(f64::NAN), None);
        assert_eq!(Requant::for_ratio(2f64.powi(31)), None);
    }

    #[test]
    fn input_rule_rounds_half_away_from_zero_and_saturates() {
        let times4 = Requant::for_ratio(4.0).unwrap();
        let q = |x: f32| quantize_input(x, times4, -128, 127);
        assert_eq!(q(0.125), 1); // 0.5 → 1
        assert_eq!(q(-0.125), -1); // −0.5 → −1
        assert_eq!(q(0.1), 0);
        assert_eq!(q(0.375), 2); // 1.5 → 2
        assert_eq!(q(-0.375), -2);
        assert_eq!(q(1e30), 127);
        assert_eq!(q(-1e30), -128);
        assert_eq!(q(1e-45), 0);
        assert_eq!(q(-0.0), 0);
        let x = 0.6875f32;
        let r = Requant::for_ratio(127.0).unwrap();
        assert_eq!(quantize_input(x, r, -128, 127), (f64::from(x) * 127.0).round() as i64);
    }
}
