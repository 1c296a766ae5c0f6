//! The fast Conv (im2col chunks feeding the packed GEMM) against the direct
//! definition ([`conv2d_ref`]) on random geometries: batch, groups
//! (depthwise included), kernel, stride, dilation, asymmetric pads, widths,
//! relu, saturation.

use proptest::prelude::*;

use super::conv::Conv;
use super::model::{Bits, IntTensor};
use super::op::IntOp;
use super::quant::Requant;
use super::reference::conv2d_ref;
use super::window::Window2d;

#[derive(Debug, Clone)]
struct Case {
    bits: Bits,
    n: usize,
    group: usize,
    cg: usize,
    mg: usize,
    kernel: [usize; 2],
    strides: [usize; 2],
    dilations: [usize; 2],
    pads: [usize; 4],
    hw: [usize; 2],
    relu: bool,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop_oneof![Just(Bits::B8), Just(Bits::B16)],
            1..3usize,
            1..4usize,
            1..4usize,
            1..4usize,
        ),
        ([1..4usize, 1..4usize], [1..3usize, 1..3usize], [1..3usize, 1..3usize]),
        ([0..3usize, 0..3usize, 0..3usize, 0..3usize], [1..10usize, 1..10usize]),
        (any::<bool>(), any::<u64>()),
    )
        .prop_map(
            |((bits, n, group, cg, mg), (kernel, strides, dilations), (pads, hw), (relu, seed))| Case {
                bits,
                n,
                group,
                cg,
                mg,
                kernel,
                strides,
                dilations,
                pads,
                hw,
                relu,
                seed,
            },
        )
        .prop_filter("the window must fit the padded input", |c| {
            (0..2).all(|a| c.dilations[a] * (c.kernel[a] - 1) < c.hw[a] + c.pads[a] + c.pads[a + 2])
        })
}

/// splitmix64 draws in `[lo, hi]`.
fn draws(seed: u64, count: usize, lo: i64, hi: i64) -> Vec<i64> {
    let mut s = seed;
    (0..count)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            lo + ((z ^ (z >> 31)) % (hi - lo + 1) as u64) as i64
        })
        .collect()
}

fn check(c: &Case) {
    let (qmin, qmax) = (c.bits.qmin(), c.bits.qmax());
    let (c_in, c_out) = (c.group * c.cg, c.group * c.mg);
    let k = c.cg * c.kernel[0] * c.kernel[1];
    let [h, w] = c.hw;
    let x = draws(c.seed, c.n * c_in * h * w, qmin, qmax);
    let weights: Vec<i16> = draws(c.seed ^ 1, c_out * k, -qmax, qmax)
        .iter()
        .map(|&v| v as i16)
        .collect();
    let bias = draws(c.seed ^ 2, c_out, -(qmax << 8), qmax << 8);
    // Ratios from about 1/(k·qmax) (little saturation) up to 1 (a lot).
    let requant: Vec<Requant> = draws(c.seed ^ 3, c_out, 0, 1000)
        .iter()
        .map(|&r| Requant::for_ratio((r as f64 + 1.0) / 1000.0 / (k as f64 * qmax as f64).sqrt()).unwrap())
        .collect();
    let u = |v: usize| v as u32;
    let conv = Conv {
        input: 0,
        c_in: u(c_in),
        c_out: u(c_out),
        group: u(c.group),
        window: Window2d {
            kernel: c.kernel.map(u),
            strides: c.strides.map(u),
            dilations: c.dilations.map(u),
            pads: c.pads.map(u),
            ceil_mode: false,
        },
        relu: c.relu,
        weights: weights.clone(),
        bias: bias.clone(),
        requant: requant.clone(),
    };
    conv.check(c.bits).unwrap();
    let input = IntTensor {
        shape: vec![c.n, c_in, h, w],
        data: x.clone(),
    };
    let fast = conv.run(&[&input], c.bits).unwrap();
    let lo = if c.relu { 0 } else { qmin };
    let (shape, want) = conv2d_ref(
        &x,
        [c.n, c_in, h, w],
        &weights,
        &bias,
        &requant,
        c_out,
        c.group,
        c.kernel,
        c.strides,
        c.dilations,
        c.pads,
        (lo, qmax),
    );
    assert_eq!(fast.shape, shape);
    assert_eq!(fast.data, want);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn im2col_conv_equals_the_direct_definition(c in case()) {
        check(&c);
    }
}

#[test]
fn depthwise_and_wide_cases() {
    for (bits, group, cg, mg) in [(Bits::B8, 8, 1, 1), (Bits::B16, 4, 1, 2), (Bits::B16, 1, 16, 8)] {
        check(&Case {
            bits,
            n: 2,
            group,
            cg,
            mg,
            kernel: [3, 3],
            strides: [2, 1],
            dilations: [1, 2],
            pads: [1, 2, 0, 1],
            hw: [11, 9],
            relu: false,
            seed: 7,
        });
    }
}
