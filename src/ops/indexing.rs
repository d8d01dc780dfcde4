//! Row lookup by index: the op behind `nn::Embedding`.

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};

use crate::element::Element;
use crate::tensor::Tensor;

/// `torch.nn.functional.embedding`: looks up row `indices[...]` of `weight`.
///
/// Rows named by `padding_idx` are looked up as usual but receive no
/// gradient, as in PyTorch. The gradient of the weight adds up the output
/// gradients of every position that named a row, so a repeated index
/// accumulates.
///
/// # Shapes
/// - `indices`: any shape `(*)`
/// - `weight`: `(num_embeddings, embedding_dim)`
/// - output: `(*, embedding_dim)`
///
/// # Panics
/// If `weight` is not 2-D, or an index (or `padding_idx`) is not below
/// `num_embeddings`.
pub fn embedding<T, S, D>(indices: &ArrayBase<S, D>, weight: &Tensor<T>, padding_idx: Option<usize>) -> Tensor<T>
where
    T: Element,
    S: Data<Elem = usize>,
    D: Dimension,
{
    let rows: Vec<usize> = indices.iter().copied().collect();
    let index_shape = indices.shape().to_vec();
    let value = {
        let w = weight.data();
        let (num_embeddings, embedding_dim) = match w.shape() {
            &[n, d] => (n, d),
            other => crate::fail(
                "embedding",
                format!("weight must be 2-D (num_embeddings, embedding_dim), got shape {other:?}"),
            ),
        };
        if let Some(position) = rows.iter().position(|&row| row >= num_embeddings) {
            crate::fail(
                "embedding",
                format!(
                    "index {} at flat position {position} is out of range for {num_embeddings} embeddings",
                    rows[position]
                ),
            );
        }
        if let Some(padding) = padding_idx.filter(|&p| p >= num_embeddings) {
            crate::fail(
                "embedding",
                format!("padding_idx {padding} is out of range for {num_embeddings} embeddings"),
            );
        }
        let table = w.as_standard_layout();
        let table = table.as_slice().expect("standard layout");
        let mut out = Vec::with_capacity(rows.len() * embedding_dim);
        for &row in &rows {
            out.extend_from_slice(&table[row * embedding_dim..(row + 1) * embedding_dim]);
        }
        let mut out_shape = index_shape.clone();
        out_shape.push(embedding_dim);
        ArrayD::from_shape_vec(IxDyn(&out_shape), out).expect("row count times width")
    };

    Tensor::from_op(
        "embedding",
        value,
        vec![weight.clone()],
        Box::new(move |grad, _output, inputs| {
            let shape = inputs[0].data().shape().to_vec();
            let embedding_dim = shape[1];
            let mut table = vec![T::zero(); shape[0] * embedding_dim];
            let grad = grad.as_standard_layout();
            let grad = grad.as_slice().expect("standard layout");
            for (position, &row) in rows.iter().enumerate() {
                if Some(row) == padding_idx {
                    continue;
                }
                let source = &grad[position * embedding_dim..(position + 1) * embedding_dim];
                for (target, &g) in table[row * embedding_dim..(row + 1) * embedding_dim]
                    .iter_mut()
                    .zip(source)
                {
                    *target += g;
                }
            }
            vec![Some(
                ArrayD::from_shape_vec(IxDyn(&shape), table).expect("weight shape"),
            )]
        }),
    )
}
