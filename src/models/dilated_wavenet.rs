use ndarray::ArrayD;

use crate::conv::{ConvAlgorithm, Padding};
use crate::element::Element;
use crate::nn::{prefixed, Conv1d, Conv1dConfig, Embedding, Module};
use crate::tensor::Tensor;

use super::{check_contexts, LanguageModel};

/// Sizes of [`DilatedWaveNet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DilatedWaveNetConfig {
    /// Number of characters V, boundary token included. Default: 27.
    pub vocab_size: usize,
    /// Context length T. Default: 8.
    pub block_size: usize,
    /// Embedding width. Default: 24.
    pub n_embd: usize,
    /// Channels of the residual stream. Default: 63.
    pub residual_channels: usize,
    /// Channels inside each gated block. Default: 63.
    pub dilation_channels: usize,
    /// Channels of the skip connections and the output head. Default: 63.
    pub skip_channels: usize,
    /// Dilation of each block's causal convolution (kernel 2). The receptive
    /// field is 1 + Σ dilations. Default: `[1, 2, 4]`, a field of 8.
    pub dilations: Vec<usize>,
}

impl Default for DilatedWaveNetConfig {
    fn default() -> Self {
        DilatedWaveNetConfig {
            vocab_size: 27,
            block_size: 8,
            n_embd: 24,
            residual_channels: 63,
            dilation_channels: 63,
            skip_channels: 63,
            dilations: vec![1, 2, 4],
        }
    }
}

/// One gated residual block: a causal dilated convolution producing filter
/// and gate halves, z = tanh(filter) ⊙ σ(gate), a 1×1 convolution of z added
/// back to the residual stream, and a 1×1 convolution of z into the skip sum.
struct GatedBlock<T: Element> {
    filter_gate: Conv1d<T>,
    /// Absent in the last block, whose residual output nothing reads.
    residual: Option<Conv1d<T>>,
    skip: Conv1d<T>,
}

/// The WaveNet of van den Oord et al. (2016), "WaveNet: A Generative Model
/// for Raw Audio", on characters: causal dilated convolutions with gated
/// activations, residual and skip connections, and the prediction read from
/// the last position.
///
/// ```text
/// Embedding(V, n_embd), permuted to (B, n_embd, T)
/// Conv1d 1×1 to residual_channels                                 h: (B, R, T)
/// for each dilation d:
///     [f; g] = Conv1d(R, 2·D, 2, dilation d, causal padding)(h)   (B, 2D, T)
///     z = tanh(f) · sigmoid(g)                                    (B, D, T)
///     skip += Conv1d 1×1 (D -> S)(z at the last position)         (B, S, 1)
///     h = h + Conv1d 1×1 (D -> R)(z)                              (B, R, T)
/// ReLU, Conv1d 1×1 (S -> S), ReLU, Conv1d 1×1 (S -> V)            (B, V)
/// ```
/// The filter and gate convolutions of a block are one convolution with
/// 2·D output channels, split in half. Only the last position feeds the
/// skip path, so the skip convolutions see only that position, and the last
/// block has no residual convolution because nothing reads its output. The
/// output layer's weights start scaled by 0.1. With the defaults (V = 27)
/// the model has 76,149 parameters, close to the lecture's hierarchical
/// WaveNet.
pub struct DilatedWaveNet<T: Element = f32> {
    embedding: Embedding<T>,
    input: Conv1d<T>,
    blocks: Vec<GatedBlock<T>>,
    head_hidden: Conv1d<T>,
    head_output: Conv1d<T>,
    config: DilatedWaveNetConfig,
}

impl<T: Element> DilatedWaveNet<T> {
    /// Builds the model with the given convolution algorithm for every
    /// convolution.
    ///
    /// # Panics
    /// If a size or a dilation is 0, or there are no dilations.
    pub fn new(config: DilatedWaveNetConfig, algorithm: ConvAlgorithm) -> Self {
        if config.dilations.is_empty() {
            crate::fail("DilatedWaveNet", "dilations must list at least one block");
        }
        if config.block_size == 0 {
            crate::fail("DilatedWaveNet", "block_size must be positive, got 0");
        }
        let pointwise = Conv1dConfig {
            algorithm,
            ..Conv1dConfig::default()
        };
        let (r, d, s) = (config.residual_channels, config.dilation_channels, config.skip_channels);
        let embedding = Embedding::new(config.vocab_size, config.n_embd);
        let input = Conv1d::with_config(config.n_embd, r, 1, pointwise);
        let last = config.dilations.len() - 1;
        let blocks = config
            .dilations
            .iter()
            .enumerate()
            .map(|(index, &dilation)| GatedBlock {
                filter_gate: Conv1d::with_config(
                    r,
                    2 * d,
                    2,
                    Conv1dConfig {
                        dilation,
                        padding: Padding::Causal,
                        ..pointwise
                    },
                ),
                residual: (index < last).then(|| Conv1d::with_config(d, r, 1, pointwise)),
                skip: Conv1d::with_config(d, s, 1, pointwise),
            })
            .collect();
        let head_hidden = Conv1d::with_config(s, s, 1, pointwise);
        let head_output = Conv1d::with_config(s, config.vocab_size, 1, pointwise);
        super::shrink_initial_weights(&head_output.weight);
        DilatedWaveNet {
            embedding,
            input,
            blocks,
            head_hidden,
            head_output,
            config,
        }
    }

    /// The sizes the model was built with.
    pub fn config(&self) -> &DilatedWaveNetConfig {
        &self.config
    }

    /// How many past characters the last position can see: 1 + Σ dilations.
    pub fn receptive_field(&self) -> usize {
        1 + self.config.dilations.iter().sum::<usize>()
    }
}

impl<T: Element> DilatedWaveNet<T> {
    /// The logits at every position, `(B, V, T)`: position t predicts the
    /// character after context character t from characters 0..=t only,
    /// because every convolution is causal. Training on all positions, as the
    /// WaveNet paper does, gives T predictions per context instead of one.
    ///
    /// # Panics
    /// If the input is not `(B, block_size)` or contains an index outside
    /// the vocabulary.
    pub fn forward_all_positions(&self, contexts: &ArrayD<usize>) -> Tensor<T> {
        check_contexts("DilatedWaveNet", contexts, self.config.block_size);
        self.trailing_logits(contexts, self.config.block_size)
    }

    /// The logits of the last `positions` positions, `(B, V, positions)`.
    fn trailing_logits(&self, contexts: &ArrayD<usize>, positions: usize) -> Tensor<T> {
        let time = self.config.block_size;
        let channels = self.config.dilation_channels;

        let x = self.embedding.forward(contexts).permute(&[0, 2, 1]); // (B, n_embd, T)
        let mut h = self.input.forward(&x); // (B, R, T)
        let mut skip: Option<Tensor<T>> = None;
        for block in &self.blocks {
            let filter_gate = block.filter_gate.forward(&h); // (B, 2D, T)
            let z = filter_gate.narrow(1, 0, channels).tanh() * filter_gate.narrow(1, channels, channels).sigmoid(); // (B, D, T)
            let contribution = block.skip.forward(&z.narrow(2, time - positions, positions)); // (B, S, positions)
            skip = Some(match skip {
                Some(sum) => sum + contribution,
                None => contribution,
            });
            if let Some(residual) = &block.residual {
                h = h + residual.forward(&z); // (B, R, T)
            }
        }
        let skip = skip.expect("at least one block");
        let hidden = self.head_hidden.forward(&skip.relu()).relu(); // (B, S, positions)
        self.head_output.forward(&hidden) // (B, V, positions)
    }
}

impl<T: Element> LanguageModel<T> for DilatedWaveNet<T> {
    fn block_size(&self) -> usize {
        self.config.block_size
    }
}

impl<T: Element> Module<T> for DilatedWaveNet<T> {
    type Input = ArrayD<usize>;

    /// # Panics
    /// If the input is not `(B, block_size)` or holds an index outside the
    /// vocabulary.
    fn forward(&self, contexts: &ArrayD<usize>) -> Tensor<T> {
        check_contexts("DilatedWaveNet", contexts, self.config.block_size);
        let batch = contexts.shape()[0];
        self.trailing_logits(contexts, 1)
            .reshape(&[batch, self.config.vocab_size]) // (B, V)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut named = prefixed("embedding", self.embedding.named_parameters());
        named.extend(prefixed("input", self.input.named_parameters()));
        for (index, block) in self.blocks.iter().enumerate() {
            named.extend(prefixed(
                &format!("blocks.{index}.filter_gate"),
                block.filter_gate.named_parameters(),
            ));
            if let Some(residual) = &block.residual {
                named.extend(prefixed(
                    &format!("blocks.{index}.residual"),
                    residual.named_parameters(),
                ));
            }
            named.extend(prefixed(&format!("blocks.{index}.skip"), block.skip.named_parameters()));
        }
        named.extend(prefixed("head_hidden", self.head_hidden.named_parameters()));
        named.extend(prefixed("head_output", self.head_output.named_parameters()));
        named
    }
}
