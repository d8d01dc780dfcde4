use crate::conv::{conv1d, Conv1dOptions, ConvAlgorithm, Padding};
use crate::element::Element;
use crate::ops::{max_pool1d, MaxPool1dOptions};
use crate::tensor::Tensor;

use super::{check_positive, init, Module};

/// Settings of [`Conv1d`] beyond the three sizes, with
/// `torch.nn.Conv1d`'s defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv1dConfig {
    /// Step between output positions. Default: 1.
    pub stride: usize,
    /// Zero padding. Default: `Padding::Zeros(0)`.
    pub padding: Padding,
    /// Spacing between kernel taps. Default: 1.
    pub dilation: usize,
    /// Channel groups. Default: 1.
    pub groups: usize,
    /// Learn a bias. Default: true.
    pub bias: bool,
    /// Direct, FFT, or chosen per call. Default: [`ConvAlgorithm::Auto`].
    pub algorithm: ConvAlgorithm,
}

impl Default for Conv1dConfig {
    fn default() -> Self {
        Conv1dConfig {
            stride: 1,
            padding: Padding::Zeros(0),
            dilation: 1,
            groups: 1,
            bias: true,
            algorithm: ConvAlgorithm::Auto,
        }
    }
}

/// `torch.nn.Conv1d`: a 1-D cross-correlation over `(N, C_in, L)` inputs;
/// see [`conv1d`] for the formula.
///
/// Parameters: `weight` `(out_channels, in_channels / groups, kernel_size)`
/// and, unless `bias` is false, `bias` `(out_channels)`. Both start as
/// U(-1/√fan_in, 1/√fan_in) with fan_in = in_channels / groups ·
/// kernel_size, PyTorch's default.
///
/// # Shapes
/// - input: `(N, C_in, L)` or `(C_in, L)`
/// - output: `(N, C_out, L_out)` or `(C_out, L_out)`
///
/// ```
/// use convgrad::nn::{Conv1d, Module};
/// use convgrad::Tensor;
///
/// let conv = Conv1d::<f32>::new(3, 8, 5);
/// assert_eq!(conv.forward(&Tensor::zeros(&[2, 3, 20])).shape(), vec![2, 8, 16]);
/// assert_eq!(conv.num_parameters(), 8 * 3 * 5 + 8);
/// ```
pub struct Conv1d<T: Element = f32> {
    /// `(out_channels, in_channels / groups, kernel_size)`.
    pub weight: Tensor<T>,
    /// `(out_channels)`, if the layer has a bias.
    pub bias: Option<Tensor<T>>,
    /// The options passed to [`conv1d`] on every call; the algorithm may be
    /// changed at any time.
    pub options: Conv1dOptions,
    in_channels: usize,
}

impl<T: Element> Conv1d<T> {
    /// A layer with PyTorch's defaults, as `torch.nn.Conv1d(in_channels,
    /// out_channels, kernel_size)`.
    ///
    /// # Panics
    /// If a size is 0.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Self {
        Self::with_config(in_channels, out_channels, kernel_size, Conv1dConfig::default())
    }

    /// A layer with the given settings.
    ///
    /// # Panics
    /// If a size, the stride, the dilation or groups is 0, groups does not
    /// divide both channel counts, or `Padding::Same` comes with a stride
    /// above 1.
    pub fn with_config(in_channels: usize, out_channels: usize, kernel_size: usize, config: Conv1dConfig) -> Self {
        check_positive("Conv1d", "in_channels", in_channels);
        check_positive("Conv1d", "out_channels", out_channels);
        check_positive("Conv1d", "kernel_size", kernel_size);
        check_positive("Conv1d", "stride", config.stride);
        check_positive("Conv1d", "dilation", config.dilation);
        check_positive("Conv1d", "groups", config.groups);
        if in_channels % config.groups != 0 || out_channels % config.groups != 0 {
            crate::fail(
                "Conv1d",
                format!(
                    "groups = {} must divide both in_channels = {in_channels} and out_channels = {out_channels}",
                    config.groups
                ),
            );
        }
        if config.padding == Padding::Same && config.stride != 1 {
            crate::fail(
                "Conv1d",
                format!("padding Same needs stride 1, got stride {}", config.stride),
            );
        }
        let fan_in = in_channels / config.groups * kernel_size;
        let bound = init::default_bound(fan_in);
        let weight = init::uniform(&[out_channels, in_channels / config.groups, kernel_size], -bound, bound);
        let bias = config.bias.then(|| init::uniform(&[out_channels], -bound, bound));
        let options = Conv1dOptions {
            stride: config.stride,
            padding: config.padding,
            dilation: config.dilation,
            groups: config.groups,
            algorithm: config.algorithm,
        };
        Conv1d {
            weight,
            bias,
            options,
            in_channels,
        }
    }

    /// `in_channels`.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    /// `out_channels`.
    pub fn out_channels(&self) -> usize {
        self.weight.shape()[0]
    }

    /// `kernel_size`.
    pub fn kernel_size(&self) -> usize {
        self.weight.shape()[2]
    }
}

impl<T: Element> Module<T> for Conv1d<T> {
    type Input = Tensor<T>;

    /// # Panics
    /// If the input is not `(N, C_in, L)` or `(C_in, L)` with C_in =
    /// `in_channels`, or the dilated kernel is longer than the padded input.
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let shape = input.shape();
        let channels = match shape[..] {
            [c, _] | [_, c, _] => c,
            _ => crate::fail(
                "Conv1d",
                format!("expected input (N, C_in, L) or (C_in, L), got shape {shape:?}"),
            ),
        };
        if channels != self.in_channels {
            crate::fail(
                "Conv1d",
                format!(
                    "input of shape {shape:?} has {channels} channels, expected in_channels = {}",
                    self.in_channels
                ),
            );
        }
        let length = shape[shape.len() - 1];
        let (kernel, dilation) = (self.kernel_size(), self.options.dilation);
        let span = dilation * (kernel - 1) + 1;
        let padding = match self.options.padding {
            Padding::Zeros(p) => 2 * p,
            Padding::Valid => 0,
            Padding::Same | Padding::Causal => span - 1,
        };
        if length + padding < span {
            crate::fail(
                "Conv1d",
                format!(
                    "kernel_size {kernel} with dilation {dilation} spans {span} steps, longer than the padded input ({length} + {padding} padding)"
                ),
            );
        }
        conv1d(input, &self.weight, self.bias.as_ref(), self.options)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut named = vec![("weight".to_string(), self.weight.clone())];
        named.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        named
    }
}

/// `torch.nn.MaxPool1d`: the maximum over sliding windows of the last
/// dimension; see [`max_pool1d`]. No parameters.
///
/// # Shapes
/// - input: `(N, C, L)` or `(C, L)`
/// - output: `(N, C, L_out)` or `(C, L_out)`
///
/// ```
/// use convgrad::nn::{MaxPool1d, Module};
/// use convgrad::Tensor;
///
/// let pool = MaxPool1d::new(2);
/// let y = pool.forward(&Tensor::<f32>::from_vec(vec![1.0, 5.0, 2.0, 3.0], &[1, 1, 4]));
/// assert_eq!(y.to_vec(), vec![5.0, 3.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MaxPool1d {
    /// Window length.
    pub kernel_size: usize,
    /// Stride, padding, dilation and ceil mode.
    pub options: MaxPool1dOptions,
}

impl MaxPool1d {
    /// Windows of `kernel_size` with stride `kernel_size`, as
    /// `torch.nn.MaxPool1d(kernel_size)`.
    ///
    /// # Panics
    /// If `kernel_size` is 0.
    pub fn new(kernel_size: usize) -> Self {
        Self::with_options(kernel_size, MaxPool1dOptions::default())
    }

    /// Windows with the given options.
    ///
    /// # Panics
    /// If `kernel_size`, the stride or the dilation is 0, or the padding is
    /// more than half of `kernel_size`.
    pub fn with_options(kernel_size: usize, options: MaxPool1dOptions) -> Self {
        check_positive("MaxPool1d", "kernel_size", kernel_size);
        check_positive("MaxPool1d", "stride", options.stride.unwrap_or(kernel_size));
        check_positive("MaxPool1d", "dilation", options.dilation);
        if options.padding > kernel_size / 2 {
            crate::fail(
                "MaxPool1d",
                format!(
                    "padding {} must be at most half of kernel_size {kernel_size}",
                    options.padding
                ),
            );
        }
        MaxPool1d { kernel_size, options }
    }
}

impl<T: Element> Module<T> for MaxPool1d {
    type Input = Tensor<T>;

    /// # Panics
    /// If the input is not 2-D or 3-D, or the window is longer than the
    /// padded input.
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        max_pool1d(input, self.kernel_size, self.options)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        Vec::new()
    }
}
