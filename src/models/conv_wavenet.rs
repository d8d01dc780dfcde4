use ndarray::ArrayD;

use crate::conv::ConvAlgorithm;
use crate::element::Element;
use crate::nn::{prefixed, BatchNorm1d, Conv1d, Conv1dConfig, Embedding, Linear, Module, Sequential, Tanh};
use crate::tensor::Tensor;

use super::{check_contexts, LanguageModel, WaveNetConfig};

/// The hierarchical WaveNet of [`WaveNet`](super::WaveNet) built from
/// convolutions: each `FlattenConsecutive(2)` + `Linear` pair becomes a
/// `Conv1d` with kernel 2 and stride 2 over channels-first `(B, C, T)`
/// activations, which computes the same function with the weights
/// rearranged (`conv.weight[o, c, j] = linear.weight[o, j·C + c]`).
///
/// Layers, with the default sizes (76,579 parameters for V = 27):
/// ```text
/// Embedding(V, 24), permuted to (B, 24, 8)
/// 3 × [Conv1d(C, 128, 2, stride 2, bias=False), BatchNorm1d(128), Tanh]   (B, 128, 4) -> (B, 128, 2) -> (B, 128, 1)
/// Linear(128, V), weight scaled by 0.1 at initialisation                  (B, V)
/// ```
pub struct ConvWaveNet<T: Element = f32> {
    embedding: Embedding<T>,
    layers: Sequential<T>,
    head: Linear<T>,
    config: WaveNetConfig,
}

impl<T: Element> ConvWaveNet<T> {
    /// Builds the model with the given convolution algorithm for every
    /// layer.
    ///
    /// # Panics
    /// If a size is 0 or `block_size` is not a power of two of at least 2.
    pub fn new(config: WaveNetConfig, algorithm: ConvAlgorithm) -> Self {
        let WaveNetConfig {
            vocab_size,
            block_size,
            n_embd,
            n_hidden,
        } = config;
        super::check_block_size("ConvWaveNet", block_size);
        let embedding = Embedding::new(vocab_size, n_embd);
        let pairwise = Conv1dConfig {
            stride: 2,
            bias: false,
            algorithm,
            ..Conv1dConfig::default()
        };
        let mut layers = Sequential::new();
        let mut width = n_embd;
        for _ in 0..block_size.trailing_zeros() {
            layers = layers
                .push(Conv1d::with_config(width, n_hidden, 2, pairwise))
                .push(BatchNorm1d::new(n_hidden))
                .push(Tanh);
            width = n_hidden;
        }
        let head = Linear::new(n_hidden, vocab_size);
        super::shrink_initial_weights(&head.weight);
        ConvWaveNet {
            embedding,
            layers,
            head,
            config,
        }
    }
}

impl<T: Element> LanguageModel<T> for ConvWaveNet<T> {
    fn block_size(&self) -> usize {
        self.config.block_size
    }
}

impl<T: Element> Module<T> for ConvWaveNet<T> {
    type Input = ArrayD<usize>;

    /// # Panics
    /// If the input is not `(B, block_size)` or holds an index outside the
    /// vocabulary.
    fn forward(&self, contexts: &ArrayD<usize>) -> Tensor<T> {
        check_contexts("ConvWaveNet", contexts, self.config.block_size);
        let batch = contexts.shape()[0];
        let x = self.embedding.forward(contexts).permute(&[0, 2, 1]); // (B, n_embd, T)
        let x = self.layers.forward(&x); // (B, n_hidden, 1)
        let x = x.reshape(&[batch, self.config.n_hidden]); // (B, n_hidden)
        self.head.forward(&x) // (B, V)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut named = prefixed("embedding", self.embedding.named_parameters());
        named.extend(prefixed("layers", self.layers.named_parameters()));
        named.extend(prefixed("head", self.head.named_parameters()));
        named
    }

    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        prefixed("layers", self.layers.named_buffers())
    }

    fn set_training(&mut self, training: bool) {
        self.layers.set_training(training);
    }
}
