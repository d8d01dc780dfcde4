use ndarray::ArrayD;

use crate::element::Element;
use crate::ops;
use crate::tensor::Tensor;

use super::{check_positive, init, Module};

/// `torch.nn.Embedding`: a lookup table of `num_embeddings` vectors of size
/// `embedding_dim`.
///
/// Parameter: `weight` `(num_embeddings, embedding_dim)`, drawn from N(0, 1)
/// as in PyTorch. `forward` takes integer indices of any shape.
///
/// # Shapes
/// - input: `(*)` indices in `0..num_embeddings`
/// - output: `(*, embedding_dim)`
///
/// ```
/// use convgrad::nn::{Embedding, Module};
/// use ndarray::array;
///
/// let table = Embedding::<f32>::new(27, 10);
/// let x = table.forward(&array![[1usize, 2, 3], [0, 0, 26]].into_dyn());
/// assert_eq!(x.shape(), vec![2, 3, 10]);
/// ```
pub struct Embedding<T: Element = f32> {
    /// `(num_embeddings, embedding_dim)`.
    pub weight: Tensor<T>,
    /// A row that is looked up but never receives a gradient; set it with
    /// [`Embedding::with_padding_idx`] to also start that row at zero.
    pub padding_idx: Option<usize>,
}

impl<T: Element> Embedding<T> {
    /// A table as `torch.nn.Embedding(num_embeddings, embedding_dim)`.
    ///
    /// # Panics
    /// If either size is 0.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Self {
        check_positive("Embedding", "num_embeddings", num_embeddings);
        check_positive("Embedding", "embedding_dim", embedding_dim);
        Embedding {
            weight: init::normal(&[num_embeddings, embedding_dim], 0.0, 1.0),
            padding_idx: None,
        }
    }

    /// A table whose row `padding_idx` starts at zero and never receives a
    /// gradient, as `torch.nn.Embedding(num_embeddings, embedding_dim,
    /// padding_idx=…)`.
    ///
    /// # Panics
    /// If either size is 0 or `padding_idx` is not below `num_embeddings`.
    pub fn with_padding_idx(num_embeddings: usize, embedding_dim: usize, padding_idx: usize) -> Self {
        let mut table = Self::new(num_embeddings, embedding_dim);
        if padding_idx >= num_embeddings {
            crate::fail(
                "Embedding",
                format!("padding_idx {padding_idx} must be below num_embeddings = {num_embeddings}"),
            );
        }
        table
            .weight
            .data_mut()
            .index_axis_mut(ndarray::Axis(0), padding_idx)
            .fill(T::zero());
        table.padding_idx = Some(padding_idx);
        table
    }
}

impl<T: Element> Module<T> for Embedding<T> {
    type Input = ArrayD<usize>;

    /// # Panics
    /// If an index is not below `num_embeddings`.
    fn forward(&self, indices: &ArrayD<usize>) -> Tensor<T> {
        ops::embedding(indices, &self.weight, self.padding_idx)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![("weight".to_string(), self.weight.clone())]
    }
}
