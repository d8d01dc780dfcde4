//! Shapes and index arithmetic shared by the direct and FFT paths.

use super::{Conv1dOptions, Padding};

/// Every size of one `conv1d` call, resolved and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    /// Input channels per group, `in_channels / groups`.
    pub group_in: usize,
    /// Output channels per group, `out_channels / groups`.
    pub group_out: usize,
    pub length: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad_left: usize,
    pub pad_right: usize,
    pub out_length: usize,
}

impl Geometry {
    /// Resolves the sizes of a batched call: input `(N, C_in, L)`, weight
    /// `(C_out, C_in / groups, K)`.
    #[track_caller]
    pub fn new(input: &[usize], weight: &[usize], options: &Conv1dOptions) -> Self {
        let describe = || {
            format!(
                "input {input:?}, weight {weight:?}, stride {}, padding {:?}, dilation {}, groups {}",
                options.stride, options.padding, options.dilation, options.groups
            )
        };
        let fail = |rule: String| -> ! { crate::fail("conv1d", format!("{rule} ({})", describe())) };

        let &[batch, in_channels, length] = input else {
            fail("input must be (N, C_in, L) or (C_in, L)".to_string())
        };
        let &[out_channels, group_in, kernel] = weight else {
            fail("weight must be 3-D (C_out, C_in / groups, K)".to_string())
        };
        let Conv1dOptions {
            stride,
            dilation,
            groups,
            ..
        } = *options;
        if stride == 0 {
            fail("stride must be positive, got 0".to_string());
        }
        if dilation == 0 {
            fail("dilation must be positive, got 0".to_string());
        }
        if groups == 0 {
            fail("groups must be positive, got 0".to_string());
        }
        if kernel == 0 || out_channels == 0 {
            fail("the weight has a zero-sized dimension".to_string());
        }
        if in_channels % groups != 0 || out_channels % groups != 0 {
            fail(format!(
                "groups = {groups} must divide both C_in = {in_channels} and C_out = {out_channels}"
            ));
        }
        if group_in * groups != in_channels {
            fail(format!(
                "weight dimension 1 is {group_in}, but C_in / groups = {in_channels} / {groups} = {}",
                in_channels / groups
            ));
        }

        let span = dilation * (kernel - 1) + 1;
        let (pad_left, pad_right) = match options.padding {
            Padding::Zeros(p) => (p, p),
            Padding::Valid => (0, 0),
            Padding::Same => {
                if stride != 1 {
                    fail("padding Same needs stride 1, as in PyTorch".to_string());
                }
                let total = span - 1;
                (total / 2, total - total / 2)
            }
            Padding::Causal => (span - 1, 0),
        };
        let padded = length + pad_left + pad_right;
        if padded < span {
            fail(format!(
                "the padded input length {padded} is shorter than the dilated kernel span dilation * (K - 1) + 1 = {span}"
            ));
        }
        let out_length = (padded - span) / stride + 1;
        Geometry {
            batch,
            in_channels,
            out_channels,
            groups,
            group_in,
            group_out: out_channels / groups,
            length,
            kernel,
            stride,
            dilation,
            pad_left,
            pad_right,
            out_length,
        }
    }

    /// The input length with both paddings.
    pub fn padded_length(&self) -> usize {
        self.length + self.pad_left + self.pad_right
    }

    /// Whether the direct path runs the sliding-dot kernels (see
    /// `sliding.rs`) rather than im2col and matrix products: with few
    /// channels per group the matrix products are too thin to pay for the
    /// im2col copies, and long kernels make those copies K times the input.
    pub fn uses_sliding(&self) -> bool {
        self.group_in * self.group_out <= 16 || self.kernel >= 32
    }

    /// Multiply-adds of one direct forward pass.
    pub fn direct_macs(&self) -> f64 {
        self.batch as f64
            * self.out_channels as f64
            * self.group_in as f64
            * self.kernel as f64
            * self.out_length as f64
    }

    /// The input index read by output step `t` and kernel tap `k`, or `None`
    /// where that position is padding.
    #[inline]
    pub fn input_index(&self, t: usize, k: usize) -> Option<usize> {
        let padded = t * self.stride + k * self.dilation;
        padded.checked_sub(self.pad_left).filter(|&i| i < self.length)
    }
}
