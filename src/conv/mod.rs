//! One-dimensional convolution: the differentiable [`conv1d`] op, and
//! [`convolve`] for plain signals, each by a direct path or an FFT path.
//!
//! Both paths compute the same sums and agree to floating-point rounding
//! (tested over thousands of random configurations). [`ConvAlgorithm`]
//! chooses between them per call; [`ConvAlgorithm::Auto`] asks a cost model
//! fitted to measurements of both paths.
//!
//! # Accuracy of the FFT path
//! The FFT path's rounding error grows slowly with the transform length
//! (about as √(log M) relative to the output's scale, for random data). In
//! `f32` that is around 1e-7 to 1e-6 of the output's scale for lengths up to
//! 10⁵; use `f64` or [`ConvAlgorithm::Direct`] where that matters.

mod cost;
mod direct;
mod fft;
mod geometry;
mod signal;
mod sliding;

pub use cost::{auto_choice, cost_features, CostFeatures};
pub use fft::fast_length;
pub use signal::{convolve, ConvolveMode};

use ndarray::{ArrayD, IxDyn};

use crate::element::Element;
use crate::tensor::Tensor;
use geometry::Geometry;

/// How a convolution is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConvAlgorithm {
    /// Sums of products: as matrix products over im2col columns when a group
    /// has many channels and the kernel is short, and as vectorised sliding
    /// dot products per channel pair otherwise (at most 16 channel pairs per
    /// group, or kernels of 32 taps and more).
    Direct,
    /// Products of real FFT spectra: fastest for long kernels on long
    /// signals with few channels.
    Fft,
    /// Picks whichever of the two a cost model estimates to be faster, per
    /// call; the backward pass of that call uses the same path for both
    /// gradients.
    #[default]
    Auto,
}

impl ConvAlgorithm {
    /// Resolves `Auto` for the given sizes.
    fn resolve(self, geo: &Geometry) -> ConvAlgorithm {
        match self {
            ConvAlgorithm::Auto if cost::prefers_fft(geo) => ConvAlgorithm::Fft,
            ConvAlgorithm::Auto => ConvAlgorithm::Direct,
            chosen => chosen,
        }
    }
}

/// Zero padding of a convolution's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Padding {
    /// The same number of zeros on both sides, PyTorch's integer `padding`.
    Zeros(usize),
    /// No padding, PyTorch's `padding="valid"`.
    Valid,
    /// Enough zeros, `dilation·(K - 1)` in all, to keep the output as long as
    /// the input, as PyTorch's `padding="same"`; an odd total puts the extra
    /// zero on the right. Needs stride 1.
    Same,
    /// All `dilation·(K - 1)` zeros on the left, so output step t sees only
    /// inputs up to t: the padding of autoregressive (causal) models.
    Causal,
}

impl Default for Padding {
    fn default() -> Self {
        Padding::Zeros(0)
    }
}

/// Options of [`conv1d`], named and defaulted as `torch.nn.functional.conv1d`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv1dOptions {
    /// Step between output positions. Default: 1.
    pub stride: usize,
    /// Zero padding. Default: `Padding::Zeros(0)`.
    pub padding: Padding,
    /// Spacing between kernel taps. Default: 1.
    pub dilation: usize,
    /// Number of channel groups; each group of `C_in/groups` input channels
    /// feeds `C_out/groups` output channels. Default: 1.
    pub groups: usize,
    /// Direct, FFT, or chosen per call. Default: [`ConvAlgorithm::Auto`].
    pub algorithm: ConvAlgorithm,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions {
            stride: 1,
            padding: Padding::Zeros(0),
            dilation: 1,
            groups: 1,
            algorithm: ConvAlgorithm::Auto,
        }
    }
}

/// The output length of a convolution, PyTorch's formula
/// `⌊(L + pad_left + pad_right - dilation·(K - 1) - 1) / stride⌋ + 1`.
///
/// # Panics
/// As [`conv1d`], for invalid options or a kernel longer than the padded
/// input.
pub fn conv1d_output_length(length: usize, kernel_size: usize, options: &Conv1dOptions) -> usize {
    Geometry::new(
        &[1, 1, length],
        &[1, 1, kernel_size],
        &Conv1dOptions { groups: 1, ..*options },
    )
    .out_length
}

/// `torch.nn.functional.conv1d`: the cross-correlation
/// `y[n, o, t] = bias[o] + Σ_c Σ_k weight[o, c, k] · x_pad[n, g·C_in/groups + c, t·stride + k·dilation]`,
/// where g is the group of output channel o.
///
/// Gradients flow to the input, the weight and the bias; each of the three
/// is computed by the path `options.algorithm` selects.
///
/// # Shapes
/// - `input`: `(N, C_in, L)`, or `(C_in, L)` unbatched
/// - `weight`: `(C_out, C_in / groups, K)`
/// - `bias`: `(C_out)`
/// - output: `(N, C_out, L_out)`, or `(C_out, L_out)` for an unbatched input,
///   with L_out from [`conv1d_output_length`]
///
/// ```
/// use convgrad::conv::{conv1d, Conv1dOptions};
/// use convgrad::Tensor;
///
/// let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 4]);
/// let w = Tensor::from_vec(vec![1.0, -1.0], &[1, 1, 2]);
/// let y = conv1d(&x, &w, None, Conv1dOptions::default());
/// assert_eq!(y.to_vec(), vec![-1.0, -1.0, -1.0]);
/// ```
///
/// # Panics
/// If the input is not 2-D or 3-D or its channel count does not match the
/// weight, the weight is not 3-D, the bias is not `(C_out)`, stride,
/// dilation or groups is 0, groups does not divide both channel counts,
/// `Padding::Same` is combined with a stride above 1, or the dilated kernel
/// is longer than the padded input. The message prints every shape and
/// option.
pub fn conv1d<T: Element>(
    input: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    options: Conv1dOptions,
) -> Tensor<T> {
    let input_shape = input.shape();
    let batched_shape = match input_shape[..] {
        [c, l] => vec![1, c, l],
        [_, _, _] => input_shape.clone(),
        _ => crate::fail(
            "conv1d",
            format!(
                "input must be (N, C_in, L) or (C_in, L), got shape {input_shape:?} (weight {:?})",
                weight.shape()
            ),
        ),
    };
    let geo = Geometry::new(&batched_shape, &weight.shape(), &options);
    if let Some(bias) = bias {
        if bias.shape() != [geo.out_channels] {
            crate::fail(
                "conv1d",
                format!(
                    "bias must have shape [{}] (C_out of weight {:?}), got {:?}",
                    geo.out_channels,
                    weight.shape(),
                    bias.shape()
                ),
            );
        }
    }

    let value = {
        let (x, w) = (input.data(), weight.data());
        let (x, w) = (x.as_standard_layout(), w.as_standard_layout());
        let (x, w) = (
            x.as_slice().expect("standard layout"),
            w.as_slice().expect("standard layout"),
        );
        let b = bias.map(Tensor::to_vec);
        let y = match options.algorithm.resolve(&geo) {
            ConvAlgorithm::Fft => fft::forward(&geo, x, w, b.as_deref()),
            _ => direct::forward(&geo, x, w, b.as_deref()),
        };
        let out_shape: Vec<usize> = if input_shape.len() == 2 {
            vec![geo.out_channels, geo.out_length]
        } else {
            vec![geo.batch, geo.out_channels, geo.out_length]
        };
        ArrayD::from_shape_vec(IxDyn(&out_shape), y).expect("output size")
    };

    let mut inputs = vec![input.clone(), weight.clone()];
    inputs.extend(bias.cloned());
    let algorithm = options.algorithm;
    Tensor::from_op(
        "conv1d",
        value,
        inputs,
        Box::new(move |grad, _output, inputs| {
            let grad = grad.as_standard_layout();
            let g = grad.as_slice().expect("standard layout");
            let (x, w) = (inputs[0].data(), inputs[1].data());
            let (x, w) = (x.as_standard_layout(), w.as_standard_layout());
            let (x, w) = (
                x.as_slice().expect("standard layout"),
                w.as_slice().expect("standard layout"),
            );
            let (need_input, need_weight) = (inputs[0].requires_grad(), inputs[1].requires_grad());

            let (grad_input, grad_weight) = match algorithm.resolve(&geo) {
                ConvAlgorithm::Fft => fft::backward(&geo, g, x, w, need_input, need_weight),
                _ => (
                    need_input.then(|| direct::grad_input(&geo, g, w)),
                    need_weight.then(|| direct::grad_weight(&geo, g, x)),
                ),
            };
            let mut grads = vec![
                grad_input.map(|gx| ArrayD::from_shape_vec(IxDyn(&input_shape), gx).expect("input size")),
                grad_weight.map(|gw| ArrayD::from_shape_vec(IxDyn(&inputs[1].shape()), gw).expect("weight size")),
            ];
            if let Some(bias) = inputs.get(2) {
                grads.push(bias.requires_grad().then(|| {
                    ArrayD::from_shape_vec(IxDyn(&[geo.out_channels]), direct::grad_bias(&geo, g)).expect("C_out")
                }));
            }
            grads
        }),
    )
}
