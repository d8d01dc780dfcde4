//! Batch normalisation.

use ndarray::{ArrayD, IxDyn};

use crate::element::Element;
use crate::tensor::Tensor;

/// Where the channel dimension of a sequence input sits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// `(N, C)` or `(N, C, L)`: channels in dimension 1, as PyTorch's
    /// `BatchNorm1d` and `Conv1d` expect.
    #[default]
    ChannelsFirst,
    /// `(N, C)` or `(N, L, C)`: channels last, the layout that
    /// `FlattenConsecutive` and `Linear` produce in the makemore WaveNet.
    ChannelsLast,
}

impl Layout {
    /// Splits `shape` into `(outer, channels, inner)`: the element at
    /// `(o, c, i)` of that view is the input element of channel `c`.
    #[track_caller]
    pub(crate) fn split(self, op: &str, shape: &[usize]) -> (usize, usize, usize) {
        match (self, shape) {
            (_, &[n, c]) => (n, c, 1),
            (Layout::ChannelsFirst, &[n, c, l]) => (n, c, l),
            (Layout::ChannelsLast, &[n, l, c]) => (n * l, c, 1),
            (layout, other) => crate::fail(
                op,
                format!(
                    "expected a 2-D or 3-D input ({}), got shape {other:?}",
                    layout.describe()
                ),
            ),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Layout::ChannelsFirst => "(N, C) or (N, C, L) with channels first",
            Layout::ChannelsLast => "(N, C) or (N, L, C) with channels last",
        }
    }
}

/// Options of [`batch_norm`], with PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormOptions {
    /// Normalise with the batch statistics (and update the running ones) when
    /// set; with the running statistics otherwise. Default: `false`, as in
    /// `torch.nn.functional.batch_norm`.
    pub training: bool,
    /// Weight of the new batch statistic in the running average:
    /// `running = (1 - momentum)·running + momentum·batch`. Default: 0.1.
    pub momentum: f64,
    /// Added to the variance before the square root. Default: 1e-5.
    pub eps: f64,
    /// Where the channel dimension is. Default: [`Layout::ChannelsFirst`].
    pub layout: Layout,
    /// The divisor of the variance used to normalise in training is
    /// `count - variance_correction`. Default: 0, the biased variance, as
    /// PyTorch uses; 1 gives the unbiased variance that the makemore
    /// lecture's hand-written BatchNorm1d uses. The running variance is
    /// always updated with the unbiased variance, as in PyTorch.
    pub variance_correction: usize,
}

impl Default for BatchNormOptions {
    fn default() -> Self {
        BatchNormOptions {
            training: false,
            momentum: 0.1,
            eps: 1e-5,
            layout: Layout::ChannelsFirst,
            variance_correction: 0,
        }
    }
}

/// `torch.nn.functional.batch_norm`: per channel c,
/// y = (x - mean_c) / √(var_c + eps) · weight_c + bias_c.
///
/// In training the mean and variance are the batch's, taken over every
/// dimension but the channel dimension, and `running_mean` / `running_var`
/// (when given) are updated in place outside the graph. In evaluation the
/// running statistics are used.
///
/// With x̂ the normalised input, s = 1/√(var + eps), m the count per channel
/// and g' = dy·weight, the training-mode derivatives are
/// dx = s·(g' - mean(g') - x̂·Σ(g'·x̂)/(m - correction)), dweight = Σ dy·x̂ and
/// dbias = Σ dy; in evaluation, dx = s·g'.
///
/// # Shapes
/// - `input`: `(N, C)`, or `(N, C, L)` / `(N, L, C)` according to
///   [`BatchNormOptions::layout`]
/// - `running_mean`, `running_var`, `weight`, `bias`: `(C)`
/// - output: the input's shape
///
/// # Panics
/// If the input is not 2-D or 3-D, a per-channel tensor does not have C
/// elements, training gets only one value per channel (its unbiased variance
/// is undefined), the count per channel does not exceed
/// `variance_correction`, or evaluation is asked for without running
/// statistics.
pub fn batch_norm<T: Element>(
    input: &Tensor<T>,
    running_mean: Option<&Tensor<T>>,
    running_var: Option<&Tensor<T>>,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    options: BatchNormOptions,
) -> Tensor<T> {
    let shape = input.shape();
    let (outer, channels, inner) = options.layout.split("batch_norm", &shape);
    let count = outer * inner;
    for (name, tensor) in [
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ] {
        if let Some(tensor) = tensor {
            if tensor.shape() != [channels] {
                crate::fail(
                    "batch_norm",
                    format!(
                        "{name} has shape {:?}, but the input of shape {shape:?} has {channels} channels",
                        tensor.shape()
                    ),
                );
            }
        }
    }
    let eps = T::from_f64_lossy(options.eps);

    // Per-channel statistics: the batch's in training, the running ones otherwise.
    let (mean, inv_std) = if options.training {
        if count <= 1 {
            crate::fail(
                "batch_norm",
                format!("expected more than 1 value per channel when training, got input shape {shape:?}"),
            );
        }
        if count <= options.variance_correction {
            crate::fail(
                "batch_norm",
                format!(
                    "variance_correction {} needs more than that many values per channel, got {count}",
                    options.variance_correction
                ),
            );
        }
        let (mean, sum_sq) = channel_moments(&input.data(), outer, channels, inner);
        let divisor = T::from_usize(count - options.variance_correction).expect("count fits the float type");
        let inv_std: Vec<T> = sum_sq.iter().map(|&s| T::one() / (s / divisor + eps).sqrt()).collect();
        if running_mean.is_some() || running_var.is_some() {
            let momentum = T::from_f64_lossy(options.momentum);
            let keep = T::one() - momentum;
            let unbiased = T::from_usize(count - 1).expect("count fits the float type");
            if let Some(running) = running_mean {
                let mut running = running.data_mut();
                running
                    .iter_mut()
                    .zip(&mean)
                    .for_each(|(r, &m)| *r = keep * *r + momentum * m);
            }
            if let Some(running) = running_var {
                let mut running = running.data_mut();
                running
                    .iter_mut()
                    .zip(&sum_sq)
                    .for_each(|(r, &s)| *r = keep * *r + momentum * s / unbiased);
            }
        }
        (mean, inv_std)
    } else {
        let (Some(running_mean), Some(running_var)) = (running_mean, running_var) else {
            crate::fail(
                "batch_norm",
                "evaluation (training = false) needs running_mean and running_var",
            );
        };
        let mean = running_mean.to_vec();
        let inv_std = running_var
            .data()
            .iter()
            .map(|&v| T::one() / (v + eps).sqrt())
            .collect();
        (mean, inv_std)
    };

    // Normalise, then scale and shift.
    let x_hat = {
        let x = input.data();
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("standard layout");
        let mut x_hat = vec![T::zero(); x.len()];
        for_each_element(outer, channels, inner, |c, i| x_hat[i] = (x[i] - mean[c]) * inv_std[c]);
        x_hat
    };
    let weight_values = weight.map(Tensor::to_vec);
    let bias_values = bias.map(Tensor::to_vec);
    let scale = weight_values.unwrap_or_else(|| vec![T::one(); channels]);
    let shift = bias_values.unwrap_or_else(|| vec![T::zero(); channels]);
    let mut y = vec![T::zero(); x_hat.len()];
    for_each_element(outer, channels, inner, |c, i| y[i] = x_hat[i] * scale[c] + shift[c]);
    let value = ArrayD::from_shape_vec(IxDyn(&shape), y).expect("input shape");

    let has_weight = weight.is_some();
    let mut inputs = vec![input.clone()];
    inputs.extend(weight.cloned());
    inputs.extend(bias.cloned());
    let training = options.training;
    let divisor = T::from_usize(count.saturating_sub(options.variance_correction).max(1)).expect("count fits");
    Tensor::from_op(
        "batch_norm",
        value,
        inputs,
        Box::new(move |grad, _output, inputs| {
            let grad = grad.as_standard_layout();
            let g = grad.as_slice().expect("standard layout");
            let scale = if has_weight {
                inputs[1].to_vec()
            } else {
                vec![T::one(); channels]
            };

            // Per-channel Σ dy and Σ dy·x̂.
            let mut sum_g = vec![T::zero(); channels];
            let mut sum_g_xhat = vec![T::zero(); channels];
            for_each_element(outer, channels, inner, |c, i| {
                sum_g[c] += g[i];
                sum_g_xhat[c] += g[i] * x_hat[i];
            });

            let grad_input = inputs[0].requires_grad().then(|| {
                let count_t = T::from_usize(count).expect("count fits");
                let mut dx = vec![T::zero(); g.len()];
                // Per channel, dx = k·(dy - a - x̂·b) in training and k·dy in evaluation.
                let k: Vec<T> = (0..channels).map(|c| scale[c] * inv_std[c]).collect();
                let a: Vec<T> = sum_g
                    .iter()
                    .map(|&s| if training { s / count_t } else { T::zero() })
                    .collect();
                let b: Vec<T> = sum_g_xhat
                    .iter()
                    .map(|&s| if training { s / divisor } else { T::zero() })
                    .collect();
                for_each_element(outer, channels, inner, |c, i| {
                    dx[i] = k[c] * (g[i] - a[c] - x_hat[i] * b[c])
                });
                ArrayD::from_shape_vec(IxDyn(grad.shape()), dx).expect("input shape")
            });
            let mut grads = vec![grad_input];
            let mut next = 1;
            if has_weight {
                grads.push(
                    inputs[next]
                        .requires_grad()
                        .then(|| ArrayD::from_shape_vec(IxDyn(&[channels]), sum_g_xhat.clone()).expect("C")),
                );
                next += 1;
            }
            if let Some(bias) = inputs.get(next) {
                grads.push(
                    bias.requires_grad()
                        .then(|| ArrayD::from_shape_vec(IxDyn(&[channels]), sum_g.clone()).expect("C")),
                );
            }
            grads
        }),
    )
}

/// Per-channel mean and Σ(x - mean)² over the `(outer, C, inner)` view.
fn channel_moments<T: Element>(x: &ArrayD<T>, outer: usize, channels: usize, inner: usize) -> (Vec<T>, Vec<T>) {
    let x = x.as_standard_layout();
    let x = x.as_slice().expect("standard layout");
    let count = T::from_usize(outer * inner).expect("count fits the float type");
    let mut mean = vec![T::zero(); channels];
    for_each_element(outer, channels, inner, |c, i| mean[c] += x[i]);
    mean.iter_mut().for_each(|m| *m /= count);
    let mut sum_sq = vec![T::zero(); channels];
    for_each_element(outer, channels, inner, |c, i| {
        sum_sq[c] += (x[i] - mean[c]) * (x[i] - mean[c])
    });
    (mean, sum_sq)
}

/// Calls `f(channel, index)` for every element of the row-major
/// `(outer, C, inner)` view, in memory order.
#[inline(always)]
fn for_each_element(outer: usize, channels: usize, inner: usize, mut f: impl FnMut(usize, usize)) {
    if inner == 1 {
        // Channels last: each row holds one value of every channel.
        for o in 0..outer {
            let base = o * channels;
            for c in 0..channels {
                f(c, base + c);
            }
        }
    } else {
        for o in 0..outer {
            for c in 0..channels {
                let start = (o * channels + c) * inner;
                for i in start..start + inner {
                    f(c, i);
                }
            }
        }
    }
}
