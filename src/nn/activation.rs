use crate::element::Element;
use crate::tensor::Tensor;

use super::Module;

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl<T: Element> Module<T> for $name {
            type Input = Tensor<T>;

            fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
                input.$method()
            }

            fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
                Vec::new()
            }
        }
    };
}

activation!(
    /// `torch.nn.Tanh`: elementwise hyperbolic tangent, no parameters.
    Tanh,
    tanh
);
activation!(
    /// `torch.nn.Sigmoid`: elementwise 1/(1 + e^-x), no parameters.
    Sigmoid,
    sigmoid
);
activation!(
    /// `torch.nn.ReLU`: elementwise max(x, 0), no parameters.
    ReLU,
    relu
);
