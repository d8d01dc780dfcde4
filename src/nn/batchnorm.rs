use crate::element::Element;
use crate::ops::{self, BatchNormOptions, Layout};
use crate::tensor::Tensor;

use super::{check_positive, Module};

/// Settings of [`BatchNorm1d`], with `torch.nn.BatchNorm1d`'s defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNorm1dConfig {
    /// Added to the variance before the square root. Default: 1e-5.
    pub eps: f64,
    /// Weight of each new batch statistic in the running averages. Default: 0.1.
    pub momentum: f64,
    /// Learn a per-channel `weight` (γ, starting at 1) and `bias` (β,
    /// starting at 0). Default: true.
    pub affine: bool,
    /// Keep running statistics for evaluation mode. Without them evaluation
    /// uses batch statistics too, as in PyTorch. Default: true.
    pub track_running_stats: bool,
    /// Where the channel dimension of a 3-D input is. Default:
    /// [`Layout::ChannelsFirst`] `(N, C, L)`, as in PyTorch;
    /// [`Layout::ChannelsLast`] reads `(N, L, C)`, the layout of the makemore
    /// lecture's hierarchical WaveNet. 2-D inputs are `(N, C)` either way.
    pub layout: Layout,
    /// Divisor correction of the variance that normalises a training batch:
    /// the variance is Σ(x - mean)² / (count - variance_correction).
    /// Default: 0 (biased), as in PyTorch; the makemore lecture's own layer
    /// uses 1.
    pub variance_correction: usize,
}

impl Default for BatchNorm1dConfig {
    fn default() -> Self {
        BatchNorm1dConfig {
            eps: 1e-5,
            momentum: 0.1,
            affine: true,
            track_running_stats: true,
            layout: Layout::ChannelsFirst,
            variance_correction: 0,
        }
    }
}

/// `torch.nn.BatchNorm1d`: normalises each channel to zero mean and unit
/// variance over the batch (and length), then scales by `weight` and shifts
/// by `bias`.
///
/// In training mode (the default after construction) it normalises with the
/// batch mean and the biased batch variance, and updates `running_mean` and
/// `running_var` (the unbiased batch variance) with
/// `running = (1 - momentum)·running + momentum·batch`. In evaluation mode it
/// normalises with the running statistics and changes nothing.
///
/// Parameters: `weight` and `bias`, `(num_features)`, if `affine`.
/// Buffers: `running_mean` (zeros) and `running_var` (ones), `(num_features)`,
/// if `track_running_stats`.
///
/// # Shapes
/// - input: `(N, C)`, or `(N, C, L)` (channels first, the default) or
///   `(N, L, C)` (with [`Layout::ChannelsLast`])
/// - output: same as input
///
/// ```
/// use convgrad::nn::{BatchNorm1d, Module};
/// use convgrad::Tensor;
///
/// let bn = BatchNorm1d::<f64>::new(2);
/// let y = bn.forward(&Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2]));
/// assert_eq!(y.to_vec().iter().map(|v| v.round()).collect::<Vec<_>>(), vec![-1.0, -1.0, 1.0, 1.0]);
/// assert!((bn.running_mean.as_ref().unwrap().to_vec()[0] - 0.2).abs() < 1e-12);
/// ```
pub struct BatchNorm1d<T: Element = f32> {
    /// γ, `(num_features)`, if `affine`.
    pub weight: Option<Tensor<T>>,
    /// β, `(num_features)`, if `affine`.
    pub bias: Option<Tensor<T>>,
    /// `(num_features)`, if `track_running_stats`.
    pub running_mean: Option<Tensor<T>>,
    /// `(num_features)`, if `track_running_stats`.
    pub running_var: Option<Tensor<T>>,
    config: BatchNorm1dConfig,
    num_features: usize,
    training: bool,
}

impl<T: Element> BatchNorm1d<T> {
    /// A layer with PyTorch's defaults, as `torch.nn.BatchNorm1d(num_features)`.
    ///
    /// # Panics
    /// If `num_features` is 0.
    pub fn new(num_features: usize) -> Self {
        Self::with_config(num_features, BatchNorm1dConfig::default())
    }

    /// A layer with the given settings.
    ///
    /// # Panics
    /// If `num_features` is 0, `eps` is not positive, or `momentum` is
    /// outside [0, 1].
    pub fn with_config(num_features: usize, config: BatchNorm1dConfig) -> Self {
        check_positive("BatchNorm1d", "num_features", num_features);
        if !(config.eps > 0.0) {
            crate::fail("BatchNorm1d", format!("eps must be positive, got {}", config.eps));
        }
        if !(0.0..=1.0).contains(&config.momentum) {
            crate::fail(
                "BatchNorm1d",
                format!("momentum must lie in [0, 1], got {}", config.momentum),
            );
        }
        let parameter = |value: f64| Tensor::full(&[num_features], T::from_f64_lossy(value)).requires_grad_(true);
        let buffer = |value: f64| Tensor::full(&[num_features], T::from_f64_lossy(value));
        BatchNorm1d {
            weight: config.affine.then(|| parameter(1.0)),
            bias: config.affine.then(|| parameter(0.0)),
            running_mean: config.track_running_stats.then(|| buffer(0.0)),
            running_var: config.track_running_stats.then(|| buffer(1.0)),
            config,
            num_features,
            training: true,
        }
    }

    /// The number of channels C.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// Whether the layer is in training mode.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// The settings the layer was built with.
    pub fn config(&self) -> &BatchNorm1dConfig {
        &self.config
    }
}

impl<T: Element> Module<T> for BatchNorm1d<T> {
    type Input = Tensor<T>;

    /// # Panics
    /// If the input is not 2-D or 3-D, its channel count is not
    /// `num_features`, or training gets only one value per channel.
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let shape = input.shape();
        let (_, channels, _) = self.config.layout.split("BatchNorm1d", &shape);
        if channels != self.num_features {
            crate::fail(
                "BatchNorm1d",
                format!(
                    "input of shape {shape:?} has {channels} channels ({:?}), expected num_features = {}",
                    self.config.layout, self.num_features
                ),
            );
        }
        // Without running statistics, evaluation falls back to batch statistics.
        let use_batch_stats = self.training || self.running_mean.is_none();
        let options = BatchNormOptions {
            training: use_batch_stats,
            momentum: self.config.momentum,
            eps: self.config.eps,
            layout: self.config.layout,
            variance_correction: self.config.variance_correction,
        };
        let (running_mean, running_var) = if self.training || !use_batch_stats {
            (self.running_mean.as_ref(), self.running_var.as_ref())
        } else {
            (None, None)
        };
        ops::batch_norm(
            input,
            running_mean,
            running_var,
            self.weight.as_ref(),
            self.bias.as_ref(),
            options,
        )
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut named = Vec::new();
        named.extend(self.weight.iter().map(|w| ("weight".to_string(), w.clone())));
        named.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        named
    }

    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        let mut named = Vec::new();
        named.extend(
            self.running_mean
                .iter()
                .map(|m| ("running_mean".to_string(), m.clone())),
        );
        named.extend(self.running_var.iter().map(|v| ("running_var".to_string(), v.clone())));
        named
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}
