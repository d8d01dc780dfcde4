use crate::element::Element;
use crate::ops;
use crate::tensor::Tensor;

use super::{check_positive, init, Module};

/// `torch.nn.Linear`: y = x·Wᵀ + b over the last dimension.
///
/// Parameters: `weight` `(out_features, in_features)` and, unless built with
/// [`Linear::without_bias`], `bias` `(out_features)`. Both start as
/// U(-1/√in_features, 1/√in_features), PyTorch's default.
///
/// # Shapes
/// - input: `(*, in_features)`
/// - output: `(*, out_features)`
///
/// ```
/// use convgrad::nn::{Linear, Module};
/// use convgrad::Tensor;
///
/// let layer = Linear::<f32>::new(4, 3);
/// let y = layer.forward(&Tensor::zeros(&[2, 5, 4]));
/// assert_eq!(y.shape(), vec![2, 5, 3]);
/// assert_eq!(layer.num_parameters(), 4 * 3 + 3);
/// ```
pub struct Linear<T: Element = f32> {
    /// `(out_features, in_features)`.
    pub weight: Tensor<T>,
    /// `(out_features)`, if the layer has a bias.
    pub bias: Option<Tensor<T>>,
}

impl<T: Element> Linear<T> {
    /// A layer with a bias, as `torch.nn.Linear(in_features, out_features)`.
    ///
    /// # Panics
    /// If either size is 0.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        let mut layer = Self::without_bias(in_features, out_features);
        let bound = init::default_bound(in_features);
        layer.bias = Some(init::uniform(&[out_features], -bound, bound));
        layer
    }

    /// A layer without a bias, as `torch.nn.Linear(in_features, out_features,
    /// bias=False)`.
    ///
    /// # Panics
    /// If either size is 0.
    pub fn without_bias(in_features: usize, out_features: usize) -> Self {
        check_positive("Linear", "in_features", in_features);
        check_positive("Linear", "out_features", out_features);
        let bound = init::default_bound(in_features);
        Linear {
            weight: init::uniform(&[out_features, in_features], -bound, bound),
            bias: None,
        }
    }

    /// `in_features`.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// `out_features`.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Element> Module<T> for Linear<T> {
    type Input = Tensor<T>;

    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        ops::linear(input, &self.weight, self.bias.as_ref())
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut named = vec![("weight".to_string(), self.weight.clone())];
        named.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        named
    }
}
