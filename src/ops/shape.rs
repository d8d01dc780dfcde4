//! Ops that rearrange elements without changing them: reshape, permute,
//! transpose.

use ndarray::IxDyn;

use super::{normalize_dim, reshaped};
use crate::element::Element;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// The same elements in row-major order under a new shape, as
    /// `torch.reshape`. The backward reshapes the gradient back.
    ///
    /// # Panics
    /// If `shape` holds a different number of elements.
    pub fn reshape(&self, shape: &[usize]) -> Tensor<T> {
        let (value, input_shape) = {
            let x = self.data();
            let count: usize = shape.iter().product();
            if count != x.len() {
                crate::fail(
                    "reshape",
                    format!("shape {:?} ({} elements) cannot become {shape:?} ({count} elements)", x.shape(), x.len()),
                );
            }
            (reshaped(x.clone(), shape), x.shape().to_vec())
        };
        Tensor::from_op(
            "reshape",
            value,
            vec![self.clone()],
            Box::new(move |grad, _output, _inputs| vec![Some(reshaped(grad.clone(), &input_shape))]),
        )
    }

    /// Reorders the dimensions: output dimension `i` is input dimension
    /// `dims[i]`, as `torch.permute`. The backward applies the inverse
    /// permutation. The result is stored contiguously.
    ///
    /// # Panics
    /// If `dims` is not a permutation of the tensor's dimensions.
    pub fn permute(&self, dims: &[isize]) -> Tensor<T> {
        let (value, axes) = {
            let x = self.data();
            let ndim = x.ndim();
            if dims.len() != ndim {
                crate::fail("permute", format!("{dims:?} has {} entries for a tensor of shape {:?}", dims.len(), x.shape()));
            }
            let axes: Vec<usize> = dims.iter().map(|&d| normalize_dim("permute", d, ndim)).collect();
            let mut seen = vec![false; ndim];
            for &axis in &axes {
                if std::mem::replace(&mut seen[axis], true) {
                    crate::fail("permute", format!("{dims:?} names dimension {axis} twice"));
                }
            }
            let value = x.view().permuted_axes(IxDyn(&axes)).as_standard_layout().into_owned();
            (value, axes)
        };
        let mut inverse = vec![0; axes.len()];
        for (position, &axis) in axes.iter().enumerate() {
            inverse[axis] = position;
        }
        Tensor::from_op(
            "permute",
            value,
            vec![self.clone()],
            Box::new(move |grad, _output, _inputs| {
                vec![Some(grad.view().permuted_axes(IxDyn(&inverse)).as_standard_layout().into_owned())]
            }),
        )
    }

    /// Swaps two dimensions, as `torch.transpose`.
    ///
    /// # Panics
    /// If either dimension is out of range.
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor<T> {
        let ndim = self.ndim();
        let (a, b) = (normalize_dim("transpose", dim0, ndim), normalize_dim("transpose", dim1, ndim));
        let mut dims: Vec<isize> = (0..ndim as isize).collect();
        dims.swap(a, b);
        self.permute(&dims)
    }
}
