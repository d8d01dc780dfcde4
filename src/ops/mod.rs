//! Differentiable ops. Each file keeps an op's forward and backward side by
//! side; the doc comment of each op states its derivative.
//!
//! Tensor methods (`x.tanh()`, `x.sum(&[0], true)`, `&a + &b`) cover the
//! elementwise, reduction, shape and matrix ops. The free functions here
//! mirror `torch.nn.functional`: [`linear`], [`embedding`], [`softmax`],
//! [`log_softmax`], [`cross_entropy`] and [`batch_norm`].

mod elementwise;
mod indexing;
mod linalg;
mod loss;
mod normalization;
mod pool;
mod reduce;
mod shape;
mod softmax;

pub use crate::conv::{conv1d, Conv1dOptions, ConvAlgorithm, Padding};
pub use indexing::embedding;
pub use linalg::linear;
pub use loss::{cross_entropy, CrossEntropyOptions, Reduction};
pub use normalization::{batch_norm, BatchNormOptions, Layout};
pub use pool::{max_pool1d, max_pool1d_with_indices, MaxPool1dOptions};
pub use softmax::{log_softmax, softmax};

use ndarray::{ArrayD, Axis, IxDyn};

use crate::element::Element;

/// Resolves a possibly negative dimension against `ndim`.
#[track_caller]
pub(crate) fn normalize_dim(op: &str, dim: isize, ndim: usize) -> usize {
    let resolved = if dim < 0 { dim + ndim as isize } else { dim };
    if resolved < 0 || resolved >= ndim as isize {
        crate::fail(
            op,
            format!(
                "dimension {dim} is out of range for a tensor with {ndim} dimensions (valid: {} to {})",
                -(ndim as isize),
                ndim as isize - 1
            ),
        );
    }
    resolved as usize
}

/// Resolves a list of dimensions, sorted ascending. An empty list means every
/// dimension, as PyTorch's `dim=[]` does for reductions.
#[track_caller]
pub(crate) fn normalize_dims(op: &str, dims: &[isize], ndim: usize) -> Vec<usize> {
    if dims.is_empty() {
        return (0..ndim).collect();
    }
    let mut resolved: Vec<usize> = dims.iter().map(|&d| normalize_dim(op, d, ndim)).collect();
    resolved.sort_unstable();
    if resolved.windows(2).any(|pair| pair[0] == pair[1]) {
        crate::fail(op, format!("dimension list {dims:?} names a dimension twice"));
    }
    resolved
}

/// The NumPy broadcast of two shapes.
#[track_caller]
pub(crate) fn broadcast_shape(op: &str, a: &[usize], b: &[usize]) -> Vec<usize> {
    let ndim = a.len().max(b.len());
    let mut shape = vec![0; ndim];
    for i in 0..ndim {
        let da = if i + a.len() >= ndim { a[i + a.len() - ndim] } else { 1 };
        let db = if i + b.len() >= ndim { b[i + b.len() - ndim] } else { 1 };
        shape[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => crate::fail(
                op,
                format!("shapes {a:?} and {b:?} cannot be broadcast: sizes {da} and {db} at dimension {i} of the result differ and neither is 1"),
            ),
        };
    }
    shape
}

/// Sums a gradient of a broadcast result back to the shape of one operand.
pub(crate) fn sum_to_shape<T: Element>(grad: ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    if grad.shape() == shape {
        return grad;
    }
    let mut reduced = grad;
    while reduced.ndim() > shape.len() {
        reduced = reduced.sum_axis(Axis(0));
    }
    for (axis, &size) in shape.iter().enumerate() {
        if size == 1 && reduced.shape()[axis] != 1 {
            reduced = reduced.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    reduced
}

/// Reshapes `array` in row-major order, copying it into standard layout
/// first only when it is not already.
pub(crate) fn reshaped<T: Element>(array: ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    let standard = if array.is_standard_layout() {
        array
    } else {
        array.as_standard_layout().into_owned()
    };
    standard
        .into_shape_with_order(IxDyn(shape))
        .expect("element count checked by the caller")
}
