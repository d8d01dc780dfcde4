use crate::element::Element;
use crate::tensor::Tensor;

use super::{prefixed, Module};

/// A layer that [`Sequential`] can hold: a module from tensors to tensors.
pub type BoxedLayer<T> = Box<dyn Module<T, Input = Tensor<T>> + Send + Sync>;

/// `torch.nn.Sequential`: applies its layers in order. Parameters are named
/// by position, `0.weight`, `1.bias`, and so on.
///
/// ```
/// use convgrad::nn::{Linear, Module, Sequential, Tanh};
/// use convgrad::Tensor;
///
/// let model = Sequential::<f32>::new().push(Linear::new(3, 4)).push(Tanh).push(Linear::new(4, 2));
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// assert_eq!(model.forward(&Tensor::zeros(&[5, 3])).shape(), vec![5, 2]);
/// ```
pub struct Sequential<T: Element = f32> {
    layers: Vec<BoxedLayer<T>>,
}

impl<T: Element> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Sequential<T> {
    /// An empty container; `forward` of an empty container returns its input.
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a layer and returns the container, for chaining.
    pub fn push(mut self, layer: impl Module<T, Input = Tensor<T>> + Send + Sync + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// The number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[BoxedLayer<T>] {
        &self.layers
    }
}

impl<T: Element> Module<T> for Sequential<T> {
    type Input = Tensor<T>;

    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let mut x = input.clone();
        for layer in &self.layers {
            x = layer.forward(&x);
        }
        x
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| prefixed(&i.to_string(), layer.named_parameters()))
            .collect()
    }

    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| prefixed(&i.to_string(), layer.named_buffers()))
            .collect()
    }

    fn set_training(&mut self, training: bool) {
        self.layers.iter_mut().for_each(|layer| layer.set_training(training));
    }
}
