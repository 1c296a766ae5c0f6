//! The exact engine's input quantization rule, shared with verifiers that
//! must tie a receipt's float inputs to a proof's integer statement.
//!
//! `q = saturate(round_half_away_from_zero(x · M / 2^s))` for a finite f32
//! `x`, computed exactly from the bits of `x` with integers only
//! (`docs/exact-semantics.md` §2), so every machine gets the same `q`.

/// Quantizes `x` by the ratio `multiplier / 2^shift`, saturating to `[lo, hi]`
/// (`lo ≤ 0 ≤ hi`). Non-finite inputs are refused before this is called.
pub fn quantize_f32(x: f32, multiplier: u32, shift: u8, lo: i64, hi: i64) -> i64 {
    let bits = x.to_bits();
    let negative = bits >> 31 == 1;
    let exp_bits = ((bits >> 23) & 0xff) as i32;
    let frac = u64::from(bits & 0x7f_ffff);
    // |x| = mant · 2^exp exactly (subnormals have no implicit bit).
    let (mant, exp) = if exp_bits == 0 {
        (frac, -149)
    } else {
        (frac | 0x80_0000, exp_bits - 150)
    };
    let v = mant * u64::from(multiplier); // < 2^55
    // |x| · M / 2^s = v · 2^(exp − s)
    let t = i32::from(shift) - exp;
    let magnitude: u128 = if v == 0 {
        0
    } else if t <= 0 {
        if -t >= 64 { u128::MAX } else { u128::from(v) << (-t) }
    } else if t > 64 {
        0
    } else {
        (u128::from(v) + (1u128 << (t - 1))) >> t
    };
    if negative {
        let lo_mag = lo.unsigned_abs() as u128;
        if magnitude >= lo_mag { lo } else { -(magnitude as i64) }
    } else if magnitude >= hi as u128 {
        hi
    } else {
        magnitude as i64
    }
}

/// The float view of an integer output: `float32(q · scale)`, one IEEE
/// multiplication in f64 then one rounding to f32.
pub fn dequantize(q: i64, scale: f64) -> f32 {
    (q as f64 * scale) as f32
}
