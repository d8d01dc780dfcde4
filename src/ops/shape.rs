//! Ops that rearrange or select elements without changing them: reshape,
//! permute, transpose, narrow.

use ndarray::{ArrayD, IxDyn};

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
                    format!(
                        "shape {:?} ({} elements) cannot become {shape:?} ({count} elements)",
                        x.shape(),
                        x.len()
                    ),
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
                crate::fail(
                    "permute",
                    format!(
                        "{dims:?} has {} entries for a tensor of shape {:?}",
                        dims.len(),
                        x.shape()
                    ),
                );
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
                vec![Some(
                    grad.view()
                        .permuted_axes(IxDyn(&inverse))
                        .as_standard_layout()
                        .into_owned(),
                )]
            }),
        )
    }

    /// Swaps two dimensions, as `torch.transpose`.
    ///
    /// # Panics
    /// If either dimension is out of range.
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor<T> {
        let ndim = self.ndim();
        let (a, b) = (
            normalize_dim("transpose", dim0, ndim),
            normalize_dim("transpose", dim1, ndim),
        );
        let mut dims: Vec<isize> = (0..ndim as isize).collect();
        dims.swap(a, b);
        self.permute(&dims)
    }

    /// The `length` entries of dimension `dim` starting at `start`, as
    /// `torch.narrow`. The backward places the gradient in a zero tensor of
    /// the input's shape.
    ///
    /// # Panics
    /// If `dim` is out of range or `start + length` exceeds the dimension.
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Tensor<T> {
        let (value, plan) = {
            let x = self.data();
            let axis = normalize_dim("narrow", dim, x.ndim());
            let size = x.shape()[axis];
            if start + length > size {
                crate::fail(
                    "narrow",
                    format!(
                        "start {start} + length {length} exceeds size {size} of dimension {dim} (shape {:?})",
                        x.shape()
                    ),
                );
            }
            let plan = NarrowPlan {
                shape: x.shape().to_vec(),
                axis,
                start,
                length,
            };
            let x = x.as_standard_layout();
            let source = x.as_slice().expect("standard layout");
            let mut out = Vec::with_capacity(plan.outer() * length * plan.inner());
            plan.for_each_run(|input_offset, _output_offset, run| {
                out.extend_from_slice(&source[input_offset..input_offset + run])
            });
            let mut out_shape = plan.shape.clone();
            out_shape[axis] = length;
            (
                ArrayD::from_shape_vec(IxDyn(&out_shape), out).expect("narrowed size"),
                plan,
            )
        };
        Tensor::from_op(
            "narrow",
            value,
            vec![self.clone()],
            Box::new(move |grad, _output, _inputs| {
                let grad = grad.as_standard_layout();
                let source = grad.as_slice().expect("standard layout");
                let mut input_grad = vec![T::zero(); plan.shape.iter().product()];
                plan.for_each_run(|input_offset, output_offset, run| {
                    input_grad[input_offset..input_offset + run]
                        .copy_from_slice(&source[output_offset..output_offset + run]);
                });
                vec![Some(
                    ArrayD::from_shape_vec(IxDyn(&plan.shape), input_grad).expect("input size"),
                )]
            }),
        )
    }
}

/// The contiguous runs that one `narrow` call selects from a row-major input.
struct NarrowPlan {
    shape: Vec<usize>,
    axis: usize,
    start: usize,
    length: usize,
}

impl NarrowPlan {
    fn outer(&self) -> usize {
        self.shape[..self.axis].iter().product()
    }

    fn inner(&self) -> usize {
        self.shape[self.axis + 1..].iter().product()
    }

    /// Calls `f(input_offset, output_offset, run_length)` for every run of
    /// selected elements, which is contiguous in both input and output.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize)) {
        let (inner, size) = (self.inner(), self.shape[self.axis]);
        let run = self.length * inner;
        for o in 0..self.outer() {
            f((o * size + self.start) * inner, o * run, run);
        }
    }
}
