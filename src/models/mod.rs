//! The makemore family of character-level language models, built from
//! [`nn`](crate::nn) modules. Each model maps a batch of contexts `(B, T)` of
//! character indices to next-character logits `(B, V)`.

mod conv_wavenet;
mod dilated_wavenet;
mod wavenet;

pub use conv_wavenet::ConvWaveNet;
pub use dilated_wavenet::{DilatedWaveNet, DilatedWaveNetConfig};
pub use wavenet::{WaveNet, WaveNetConfig};

use ndarray::ArrayD;

use crate::autograd::no_grad;
use crate::element::Element;
use crate::nn::Module;

/// A model that predicts the next character from the previous
/// `block_size()` characters.
pub trait LanguageModel<T: Element = f32>: Module<T, Input = ArrayD<usize>> {
    /// The context length T the model reads.
    fn block_size(&self) -> usize;

    /// Draws one word: starting from a context of boundary tokens (index 0),
    /// samples each next character from the softmax of the logits until the
    /// model emits the boundary token or `max_len` characters are drawn.
    /// Returns the character indices without the final boundary. Records no
    /// graph; call [`eval`](Module::eval) first so that batch normalisation
    /// uses its running statistics.
    fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R, max_len: usize) -> Vec<usize>
    where
        Self: Sized,
    {
        no_grad(|| {
            let mut context = vec![0usize; self.block_size()];
            let mut word = Vec::new();
            while word.len() < max_len {
                let input = ArrayD::from_shape_vec(vec![1, self.block_size()], context.clone()).expect("one context");
                let probabilities = crate::ops::softmax(&self.forward(&input), -1).to_vec();
                let next = sample_index(rng, &probabilities);
                if next == 0 {
                    break;
                }
                word.push(next);
                context.remove(0);
                context.push(next);
            }
            word
        })
    }
}

/// Draws an index with probability proportional to `weights`.
fn sample_index<T: Element, R: rand::Rng + ?Sized>(rng: &mut R, weights: &[T]) -> usize {
    let total: f64 = weights.iter().map(|w| w.to_f64().unwrap_or(0.0)).sum();
    let mut threshold = rng.random::<f64>() * total;
    for (index, weight) in weights.iter().enumerate() {
        threshold -= weight.to_f64().unwrap_or(0.0);
        if threshold < 0.0 {
            return index;
        }
    }
    weights.len() - 1
}

/// Panics unless `block_size` is a power of two of at least 2, as the
/// hierarchical models halve the context at every level.
#[track_caller]
pub(crate) fn check_block_size(model: &str, block_size: usize) {
    if block_size < 2 || !block_size.is_power_of_two() {
        crate::fail(
            model,
            format!("block_size must be a power of two >= 2, got {block_size}"),
        );
    }
}

/// Scales an output layer's initial weights by 0.1, so that the first
/// predictions are nearly uniform and the first loss is near ln V.
pub(crate) fn shrink_initial_weights<T: Element>(weight: &crate::tensor::Tensor<T>) {
    weight.data_mut().mapv_inplace(|w| w * T::from_f64_lossy(0.1));
}

/// Panics unless `contexts` is `(B, block_size)`.
#[track_caller]
pub(crate) fn check_contexts(model: &str, contexts: &ArrayD<usize>, block_size: usize) {
    if contexts.ndim() != 2 || contexts.shape()[1] != block_size {
        crate::fail(
            model,
            format!(
                "expected contexts of shape (B, {block_size}), got {:?}",
                contexts.shape()
            ),
        );
    }
}
