//! Parameter initialisation, as `torch.nn.init`. Draws come from the
//! thread's generator (see [`manual_seed`](crate::manual_seed)).

use crate::element::Element;
use crate::random;
use crate::tensor::Tensor;

/// A leaf of independent draws from U(low, high), requiring a gradient.
pub fn uniform<T: Element>(shape: &[usize], low: f64, high: f64) -> Tensor<T> {
    Tensor::leaf(random::uniform_array(shape, low, high)).requires_grad_(true)
}

/// A leaf of independent draws from N(mean, std²), requiring a gradient.
pub fn normal<T: Element>(shape: &[usize], mean: f64, std: f64) -> Tensor<T> {
    Tensor::leaf(random::normal_array(shape, mean, std)).requires_grad_(true)
}

/// The bound 1/√fan_in of PyTorch's default `Linear` and `Conv1d`
/// initialisation. Their weights use `kaiming_uniform_(a=√5)`, which works
/// out to U(-1/√fan_in, 1/√fan_in), and their biases use the same bound.
pub fn default_bound(fan_in: usize) -> f64 {
    if fan_in == 0 {
        0.0
    } else {
        1.0 / (fan_in as f64).sqrt()
    }
}
