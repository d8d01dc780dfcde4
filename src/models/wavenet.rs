use ndarray::ArrayD;

use crate::element::Element;
use crate::nn::{
    prefixed, BatchNorm1d, BatchNorm1dConfig, Embedding, FlattenConsecutive, Layout, Linear, Module, Sequential, Tanh,
};
use crate::tensor::Tensor;

/// Sizes of [`WaveNet`], with the makemore lecture's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaveNetConfig {
    /// Number of characters V, boundary token included. Default: 27.
    pub vocab_size: usize,
    /// Context length T; a power of two, halved by each level. Default: 8.
    pub block_size: usize,
    /// Embedding width. Default: 24.
    pub n_embd: usize,
    /// Width of every hidden level. Default: 128.
    pub n_hidden: usize,
}

impl Default for WaveNetConfig {
    fn default() -> Self {
        WaveNetConfig {
            vocab_size: 27,
            block_size: 8,
            n_embd: 24,
            n_hidden: 128,
        }
    }
}

/// The hierarchical WaveNet of the makemore lecture (part 5), after van den
/// Oord et al., "WaveNet: A Generative Model for Raw Audio" (2016): the
/// context is fused two neighbours at a time, so a context of 8 characters
/// passes through log₂ 8 = 3 levels.
///
/// Layers, with the default sizes:
/// ```text
/// Embedding(V, 24)                                     (B, 8) -> (B, 8, 24)
/// 3 × [FlattenConsecutive(2), Linear(2·C, 128, bias=False),
///      BatchNorm1d(128, channels last), Tanh]         -> (B, 4, 128) -> (B, 2, 128) -> (B, 128)
/// Linear(128, V), weight scaled by 0.1 at initialisation   -> (B, V)
/// ```
/// With V = 27 that is 76,579 parameters. Parameters are named
/// `embedding.weight` and `layers.{i}.{name}`, where `layers` is the
/// sequence after the embedding.
pub struct WaveNet<T: Element = f32> {
    embedding: Embedding<T>,
    layers: Sequential<T>,
    config: WaveNetConfig,
}

impl<T: Element> WaveNet<T> {
    /// Builds the model, drawing its parameters from the thread's generator
    /// (see [`manual_seed`](crate::manual_seed)).
    ///
    /// # Panics
    /// If a size is 0 or `block_size` is not a power of two of at least 2.
    pub fn new(config: WaveNetConfig) -> Self {
        let WaveNetConfig {
            vocab_size,
            block_size,
            n_embd,
            n_hidden,
        } = config;
        super::check_block_size("WaveNet", block_size);
        let embedding = Embedding::new(vocab_size, n_embd);

        let channels_last = BatchNorm1dConfig {
            layout: Layout::ChannelsLast,
            ..BatchNorm1dConfig::default()
        };
        let mut layers = Sequential::new();
        let mut width = n_embd;
        for _ in 0..block_size.trailing_zeros() {
            layers = layers
                .push(FlattenConsecutive::new(2))
                .push(Linear::without_bias(2 * width, n_hidden))
                .push(BatchNorm1d::with_config(n_hidden, channels_last))
                .push(Tanh);
            width = n_hidden;
        }
        let head = Linear::new(n_hidden, vocab_size);
        super::shrink_initial_weights(&head.weight);
        layers = layers.push(head);

        WaveNet {
            embedding,
            layers,
            config,
        }
    }

    /// The sizes the model was built with.
    pub fn config(&self) -> WaveNetConfig {
        self.config
    }
}

impl<T: Element> super::LanguageModel<T> for WaveNet<T> {
    fn block_size(&self) -> usize {
        self.config.block_size
    }
}

impl<T: Element> Module<T> for WaveNet<T> {
    type Input = ArrayD<usize>;

    /// # Panics
    /// If the input is not `(B, block_size)` or holds an index outside the
    /// vocabulary.
    fn forward(&self, contexts: &ArrayD<usize>) -> Tensor<T> {
        super::check_contexts("WaveNet", contexts, self.config.block_size);
        let x = self.embedding.forward(contexts); // (B, T, n_embd)
        self.layers.forward(&x) // (B, V)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut named = prefixed("embedding", self.embedding.named_parameters());
        named.extend(prefixed("layers", self.layers.named_parameters()));
        named
    }

    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        prefixed("layers", self.layers.named_buffers())
    }

    fn set_training(&mut self, training: bool) {
        self.layers.set_training(training);
    }
}
