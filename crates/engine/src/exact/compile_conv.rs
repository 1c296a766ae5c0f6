//! Compiling Conv (with its fused tail: BatchNormalization, per-channel
//! constant Add/Sub/Mul/Div, Relu) and standalone BatchNormalization, which
//! becomes a depthwise 1×1 Conv (wrapped in Reshapes for rank-2 and rank-3
//! inputs). Never a float op.

use super::ExactError;
use super::compile::{Compiler, Val, unsupported};
use super::compile_linear::scale_rows;
use super::conv::Conv;
use super::ir::{Node, WindowAttrs};
use super::model::ExactOp;
use super::validate::ACC_BOUND;
use super::window::{Window2d, resolve};

impl Compiler<'_> {
    pub(super) fn conv(&mut self, node: &Node, attrs: &WindowAttrs, group: i64) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let (w_shape, w_data) = self
            .float_const(&node.inputs[1])
            .ok_or_else(|| unsupported(node, "Conv needs constant float weights"))?;
        let &[m, cg, kh, kw] = w_shape else {
            return Err(unsupported(
                node,
                format!("Conv with weights of shape {w_shape:?} (only 2-D convolutions are supported)"),
            ));
        };
        let x_shape = self.shape_of(node, &node.inputs[0])?;
        let g = usize::try_from(group).unwrap_or(0);
        let c = x_shape.get(1).copied().unwrap_or(0);
        if x_shape.len() != 4 || g == 0 || c != cg * g || m % g != 0 {
            return Err(unsupported(
                node,
                format!("Conv of {x_shape:?} with weights {w_shape:?} in {group} groups"),
            ));
        }
        let kernel = [
            u32::try_from(kh).map_err(|_| unsupported(node, "kernel too large"))?,
            u32::try_from(kw).map_err(|_| unsupported(node, "kernel too large"))?,
        ];
        let window = resolve(attrs, kernel, self.static_hw(&node.inputs[0])).map_err(|e| unsupported(node, e))?;
        let mut bias = vec![0f64; m];
        if let Some(b) = node.inputs.get(2) {
            let (_, d) = self
                .float_const(b)
                .filter(|(_, d)| d.len() == m)
                .ok_or_else(|| unsupported(node, format!("Conv needs a constant float bias of {m} values")))?;
            bias = d.iter().map(|&v| f64::from(v)).collect();
        }
        let w = w_data.iter().map(|&v| f64::from(v)).collect();
        let (op, out, s_out) = self.conv_layer(node, x, [c, g], window, w, bias, 4)?;
        self.push_op(op, &out, s_out);
        Ok(())
    }

    /// A Conv op with its fused tail (the tail acts on channel axis 1 of an
    /// output of rank `rank`): the op, the fused output name and its scale.
    #[allow(clippy::too_many_arguments)]
    fn conv_layer(
        &mut self,
        node: &Node,
        x: Val,
        [c_in, group]: [usize; 2],
        window: Window2d,
        mut w: Vec<f64>,
        bias: Vec<f64>,
        rank: usize,
    ) -> Result<(ExactOp, String, f64), ExactError> {
        let m = bias.len();
        let k = w.len() / m.max(1);
        let tail = self.fuse_tail(node.output.clone(), bias, m, rank, 1);
        let s_out = self.scale_of(&tail.out);
        scale_rows(&mut w, k, &tail.mul);
        let (weights, bias, requant) = self.quantize_channels(node, &tail.out, &w, k, &tail.add, x.scale, s_out)?;
        let too_large = |_| unsupported(node, "Conv dimensions too large");
        let conv = Conv {
            input: x.id,
            c_in: u32::try_from(c_in).map_err(too_large)?,
            c_out: u32::try_from(m).map_err(too_large)?,
            group: u32::try_from(group).map_err(too_large)?,
            window,
            relu: tail.relu,
            weights,
            bias,
            requant,
        };
        let bound = conv.acc_bound(self.bits.qmax());
        if bound > ACC_BOUND {
            return Err(ExactError::Quantization {
                tensor: tail.out,
                reason: format!("accumulator bound {bound} exceeds 2^62"),
            });
        }
        Ok((ExactOp::Conv(conv), tail.out, s_out))
    }

    /// A BatchNormalization not folded into a preceding layer:
    /// `y = x · f[c] + (bias[c] − mean[c] · f[c])`, `f = scale / sqrt(var +
    /// ε)`, as a depthwise 1×1 Conv on `[N, C, H, W]` (`[N, C]` and `[N, C,
    /// L]` are reshaped to rank 4 and back).
    pub(super) fn batch_norm(&mut self, node: &Node, epsilon: f32) -> Result<(), ExactError> {
        let x = self.activation(node, &node.inputs[0])?;
        let rank = self.shape_of(node, &node.inputs[0])?.len();
        if !(2..=4).contains(&rank) {
            return Err(unsupported(node, format!("BatchNormalization of a rank-{rank} tensor")));
        }
        let c = self.shape_of(node, &node.inputs[0])?[1];
        let [scale, b, mean, var] = self.bn_params(node, c).ok_or_else(|| {
            unsupported(
                node,
                format!("BatchNormalization needs constant parameters of {c} values"),
            )
        })?;
        let (mut w, mut bias) = (Vec::with_capacity(c), Vec::with_capacity(c));
        for j in 0..c {
            let f = scale[j] / (var[j] + f64::from(epsilon)).sqrt();
            w.push(f);
            bias.push(b[j] - mean[j] * f);
        }
        let window = Window2d {
            kernel: [1, 1],
            strides: [1, 1],
            dilations: [1, 1],
            pads: [0; 4],
            ceil_mode: false,
        };
        if rank == 4 {
            let (op, out, s_out) = self.conv_layer(node, x, [c, c], window, w, bias, 4)?;
            self.push_op(op, &out, s_out);
            return Ok(());
        }
        // Internal names cannot clash with ONNX tensor names, which never
        // contain NUL.
        let (lifted, conv_out) = (format!("{}\0bn-in", node.output), format!("{}\0bn-out", node.output));
        let to_4d = if rank == 3 { vec![0, 0, 0, 1] } else { vec![0, 0, 1, 1] };
        self.push_op(
            ExactOp::Reshape {
                input: x.id,
                shape: to_4d,
            },
            &lifted,
            x.scale,
        );
        let x4 = self.activation(node, &lifted)?;
        let (op, out, s_out) = self.conv_layer(node, x4, [c, c], window, w, bias, rank)?;
        self.push_op(op, &conv_out, s_out);
        let y4 = self.activation(node, &conv_out)?;
        let back = ExactOp::Reshape {
            input: y4.id,
            shape: vec![0; rank],
        };
        self.push_op(back, &out, s_out);
        Ok(())
    }
}
