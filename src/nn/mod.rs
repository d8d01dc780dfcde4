//! Neural-network modules with `torch.nn`'s names, argument names, parameter
//! names and default initialisation.
//!
//! Every module implements [`Module`]: a forward pass, its parameters with
//! torch-style dotted names (`layers.1.weight`), and a training/evaluation
//! switch. Modules hold [`Tensor`] handles, so the optimizer and the module
//! see the same parameter storage.

mod activation;
mod batchnorm;
mod conv;
mod embedding;
mod flatten;
pub mod init;
mod linear;
mod sequential;

pub use crate::conv::{ConvAlgorithm, Padding};
pub use activation::{ReLU, Sigmoid, Tanh};
pub use batchnorm::{BatchNorm1d, BatchNorm1dConfig};
pub use conv::{Conv1d, Conv1dConfig, MaxPool1d};
pub use embedding::Embedding;
pub use flatten::FlattenConsecutive;
pub use linear::Linear;
pub use sequential::Sequential;

pub use crate::ops::Layout;

use crate::element::Element;
use crate::tensor::Tensor;

/// A layer or model: a forward pass plus its parameters and mode.
///
/// `Input` is what `forward` consumes: a [`Tensor`] for most layers, and
/// integer indices for [`Embedding`] and for whole language models.
pub trait Module<T: Element = f32> {
    /// What `forward` consumes.
    type Input: ?Sized;

    /// Computes the module's output.
    fn forward(&self, input: &Self::Input) -> Tensor<T>;

    /// The trainable parameters with their dotted names, in registration
    /// order, as `torch.nn.Module.named_parameters`.
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)>;

    /// Non-trainable state with dotted names (running statistics), as
    /// `torch.nn.Module.named_buffers`.
    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        Vec::new()
    }

    /// Switches training mode on or off for the module and every submodule.
    /// Only modules that behave differently (batch normalisation) store it.
    fn set_training(&mut self, _training: bool) {}

    /// Switches to training mode, as `torch.nn.Module.train()`.
    fn train(&mut self) {
        self.set_training(true);
    }

    /// Switches to evaluation mode, as `torch.nn.Module.eval()`.
    fn eval(&mut self) {
        self.set_training(false);
    }

    /// The trainable parameters, in the order of
    /// [`named_parameters`](Module::named_parameters).
    fn parameters(&self) -> Vec<Tensor<T>> {
        self.named_parameters().into_iter().map(|(_, p)| p).collect()
    }

    /// The number of trainable scalars.
    fn num_parameters(&self) -> usize {
        self.named_parameters().iter().map(|(_, p)| p.numel()).sum()
    }

    /// Clears the gradient of every parameter.
    fn zero_grad(&self) {
        self.named_parameters().iter().for_each(|(_, p)| p.zero_grad());
    }
}

/// Prefixes each name with `prefix` and a dot, as a parent module does for
/// the parameters of a child.
pub fn prefixed<T: Element>(prefix: &str, named: Vec<(String, Tensor<T>)>) -> Vec<(String, Tensor<T>)> {
    named
        .into_iter()
        .map(|(name, tensor)| (format!("{prefix}.{name}"), tensor))
        .collect()
}

/// Panics with a module's message for an invalid constructor argument.
#[track_caller]
pub(crate) fn check_positive(module: &str, name: &str, value: usize) {
    if value == 0 {
        crate::fail(module, format!("{name} must be positive, got 0"));
    }
}
