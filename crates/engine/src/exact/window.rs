//! 2-D sliding windows (NCHW) of Conv and the pooling ops: the resolved
//! geometry the integer program stores, its output size rule, and how the
//! compiler resolves ONNX `auto_pad`. Shared by the float reference, the
//! compiler and the runner, so all three agree on every window.

use super::ir::{AutoPad, WindowAttrs};

/// Largest kernel size, stride, dilation and pad along one axis.
pub const MAX_WINDOW: u32 = 1 << 12;

/// A window with explicit pads. Along spatial axis `a` (0 = H, 1 = W),
/// output position `o` reads input positions `o·stride − pad_begin +
/// t·dilation` for taps `t < kernel`; positions outside `[0, len)` are
/// padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window2d {
    pub kernel: [u32; 2],
    pub strides: [u32; 2],
    pub dilations: [u32; 2],
    /// `[top, left, bottom, right]` (ONNX order: begins, then ends).
    pub pads: [u32; 4],
    /// Pooling only: output sizes round up (see [`Window2d::out_len`]).
    pub ceil_mode: bool,
}

impl Window2d {
    /// Every field in range: kernel, stride and dilation in `1..=4096`,
    /// pads in `0..=4096`.
    pub fn check(&self) -> Result<(), String> {
        let positive = self.kernel.iter().chain(&self.strides).chain(&self.dilations);
        if positive.clone().any(|&v| v == 0) || positive.chain(&self.pads).any(|&v| v > MAX_WINDOW) {
            return Err(format!("window {self:?} outside the allowed ranges"));
        }
        Ok(())
    }

    /// `dilation · (kernel − 1) + 1`: the span of one window.
    pub fn extent(&self, axis: usize) -> usize {
        self.dilations[axis] as usize * (self.kernel[axis] as usize - 1) + 1
    }

    /// The pad before (`end = false`) or after axis `axis`.
    pub fn pad(&self, axis: usize, end: bool) -> usize {
        self.pads[axis + 2 * usize::from(end)] as usize
    }

    /// Output length along `axis` for input length `len`:
    /// `num = len + pad_begin + pad_end − extent` (an error if negative),
    /// `out = floor(num / stride) + 1`; with `ceil_mode`, `ceil(num /
    /// stride) + 1`, minus one if the last window would start at or after
    /// `len + pad_begin`.
    pub fn out_len(&self, axis: usize, len: usize) -> Result<usize, String> {
        let total = len + self.pad(axis, false) + self.pad(axis, true);
        let num = total.checked_sub(self.extent(axis)).ok_or_else(|| {
            format!(
                "window of extent {} does not fit a padded length of {total}",
                self.extent(axis)
            )
        })?;
        let s = self.strides[axis] as usize;
        if !self.ceil_mode {
            return Ok(num / s + 1);
        }
        let mut out = num.div_ceil(s) + 1;
        if (out - 1) * s >= len + self.pad(axis, false) {
            out -= 1;
        }
        Ok(out)
    }

    /// `[out_h, out_w]` for an input of spatial size `[h, w]`.
    pub fn out_hw(&self, h: usize, w: usize) -> Result<[usize; 2], String> {
        Ok([self.out_len(0, h)?, self.out_len(1, w)?])
    }

    /// Input position of tap `t` of output position `o` along `axis` (may lie
    /// in the padding: negative or `>= len`).
    pub fn pos(&self, axis: usize, o: usize, t: usize) -> i64 {
        (o * self.strides[axis] as usize + t * self.dilations[axis] as usize) as i64 - self.pad(axis, false) as i64
    }
}

/// Splits `[N, C, H, W]` into its parts, or explains why it is not rank 4.
pub fn nchw(shape: &[usize]) -> Result<[usize; 4], String> {
    match shape {
        &[n, c, h, w] => Ok([n, c, h, w]),
        _ => Err(format!("expected an NCHW tensor, got shape {shape:?}")),
    }
}

fn pair(v: &[i64], default: i64, what: &str) -> Result<[u32; 2], String> {
    let v = if v.is_empty() { &[default, default][..] } else { v };
    match v {
        &[a, b] => {
            let c = |x: i64| u32::try_from(x).map_err(|_| format!("{what} {x}"));
            Ok([c(a)?, c(b)?])
        }
        _ => Err(format!("{what} {v:?} (2-D windows only)")),
    }
}

/// Resolves ONNX window attributes for an input of spatial size `hw` (needed
/// only for `SAME_*` padding) and a kernel of size `kernel` (from the
/// weights for Conv, the attribute for pooling). `SAME_UPPER`/`SAME_LOWER`:
/// `out = ceil(len / stride)`, total pad `max(0, (out − 1)·stride + extent −
/// len)`, split with the odd unit at the end (`UPPER`) or the beginning
/// (`LOWER`).
pub fn resolve(attrs: &WindowAttrs, kernel: [u32; 2], hw: Option<[usize; 2]>) -> Result<Window2d, String> {
    if !attrs.kernel_shape.is_empty() && attrs.kernel_shape != [i64::from(kernel[0]), i64::from(kernel[1])] {
        return Err(format!(
            "kernel_shape {:?} differs from the weights' {kernel:?}",
            attrs.kernel_shape
        ));
    }
    let mut w = Window2d {
        kernel,
        strides: pair(&attrs.strides, 1, "strides")?,
        dilations: pair(&attrs.dilations, 1, "dilations")?,
        pads: [0; 4],
        ceil_mode: attrs.ceil_mode,
    };
    match attrs.auto_pad {
        AutoPad::NotSet => {
            if !attrs.pads.is_empty() {
                let p = |i: usize| u32::try_from(attrs.pads[i]).map_err(|_| format!("pads {:?}", attrs.pads));
                if attrs.pads.len() != 4 {
                    return Err(format!("pads {:?} (2-D windows only)", attrs.pads));
                }
                w.pads = [p(0)?, p(1)?, p(2)?, p(3)?];
            }
        }
        AutoPad::Valid => {}
        AutoPad::SameUpper | AutoPad::SameLower => {
            let hw = hw.ok_or("auto_pad SAME_* needs an input whose spatial size is static")?;
            w.check()?;
            for (axis, &len) in hw.iter().enumerate() {
                let s = w.strides[axis] as usize;
                let out = len.div_ceil(s);
                let total = ((out.max(1) - 1) * s + w.extent(axis)).saturating_sub(len);
                let total = u32::try_from(total).map_err(|_| "pad too large".to_string())?;
                let (small, big) = (total / 2, total - total / 2);
                let (begin, end) = if attrs.auto_pad == AutoPad::SameUpper {
                    (small, big)
                } else {
                    (big, small)
                };
                w.pads[axis] = begin;
                w.pads[axis + 2] = end;
            }
        }
    }
    w.check()?;
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(k: u32, s: u32, pads: [u32; 2], ceil: bool) -> Window2d {
        Window2d {
            kernel: [k, k],
            strides: [s, s],
            dilations: [1, 1],
            pads: [pads[0], pads[0], pads[1], pads[1]],
            ceil_mode: ceil,
        }
    }

    #[test]
    fn output_lengths_follow_onnx() {
        assert_eq!(win(3, 1, [1, 1], false).out_len(0, 5), Ok(5));
        assert_eq!(win(2, 2, [0, 0], false).out_len(0, 5), Ok(2));
        assert_eq!(win(2, 2, [0, 0], true).out_len(0, 5), Ok(3));
        assert_eq!(win(2, 2, [1, 1], true).out_len(0, 4), Ok(3));
        // A fourth window would start in the end padding: dropped.
        assert_eq!(win(2, 2, [1, 1], true).out_len(0, 5), Ok(3));
        assert_eq!(win(3, 2, [0, 1], true).out_len(0, 6), Ok(3));
        assert!(win(5, 1, [0, 0], false).out_len(0, 3).is_err());
    }

    #[test]
    fn same_padding_puts_the_odd_unit_last_for_upper() {
        let attrs = WindowAttrs {
            kernel_shape: vec![],
            strides: vec![2, 2],
            pads: vec![],
            dilations: vec![],
            auto_pad: AutoPad::SameUpper,
            ceil_mode: false,
        };
        let w = resolve(&attrs, [4, 3], Some([7, 7])).unwrap();
        // out = 4; total = 3·2 + 4 − 7 = 3 (H), 3·2 + 3 − 7 = 2 (W)
        assert_eq!(w.pads, [1, 1, 2, 1]);
        assert_eq!(w.out_hw(7, 7), Ok([4, 4]));
        let lower = WindowAttrs {
            auto_pad: AutoPad::SameLower,
            ..attrs
        };
        assert_eq!(resolve(&lower, [4, 3], Some([7, 7])).unwrap().pads, [2, 1, 1, 1]);
        assert!(resolve(&lower, [4, 3], None).is_err());
    }
}
