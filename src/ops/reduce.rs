//! Sums, means and variances over chosen dimensions.

use ndarray::{ArrayD, Axis, IxDyn, Zip};

use super::normalize_dims;
use crate::element::Element;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// The sum of every element, as a 0-dimensional tensor. d/dx = 1.
    pub fn sum_all(&self) -> Tensor<T> {
        self.sum(&[], false)
    }

    /// The mean of every element, as a 0-dimensional tensor. d/dx = 1/n.
    pub fn mean_all(&self) -> Tensor<T> {
        self.mean(&[], false)
    }

    /// Sums over `dims` (every dimension when `dims` is empty), keeping them
    /// as size-1 dimensions when `keepdim` is set. d/dx = 1, broadcast back.
    ///
    /// # Panics
    /// If a dimension is out of range or named twice.
    pub fn sum(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let (value, plan) = {
            let x = self.data();
            let plan = ReductionPlan::new("sum", x.shape(), dims, keepdim);
            (plan.finish(sum_axes(&x, &plan.axes)), plan)
        };
        Tensor::from_op(
            "sum",
            value,
            vec![self.clone()],
            Box::new(move |grad, _output, _inputs| vec![Some(plan.broadcast_back(grad))]),
        )
    }

    /// Averages over `dims` (every dimension when `dims` is empty), keeping
    /// them as size-1 dimensions when `keepdim` is set. d/dx = 1/n, where n
    /// is the number of elements averaged.
    ///
    /// # Panics
    /// If a dimension is out of range or named twice, or the reduced
    /// dimensions hold no elements.
    pub fn mean(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let (value, plan) = {
            let x = self.data();
            let plan = ReductionPlan::new("mean", x.shape(), dims, keepdim);
            plan.require_elements("mean", 1);
            let scale = T::one() / T::from_usize(plan.count).expect("count fits the float type");
            (plan.finish(sum_axes(&x, &plan.axes) * scale), plan)
        };
        Tensor::from_op(
            "mean",
            value,
            vec![self.clone()],
            Box::new(move |grad, _output, _inputs| {
                let scale = T::one() / T::from_usize(plan.count).expect("count fits the float type");
                vec![Some(plan.broadcast_back(grad) * scale)]
            }),
        )
    }

    /// The variance over `dims`: Σ(x - mean)² / (n - correction), as
    /// `torch.var(dim, correction=…)`. `correction = 1` is the unbiased
    /// (Bessel-corrected) estimate, PyTorch's default; `correction = 0` is the
    /// biased one. d/dx = 2·(x - mean)/(n - correction).
    ///
    /// # Panics
    /// If a dimension is out of range or named twice, or the reduction holds
    /// `correction` elements or fewer (the divisor would not be positive).
    pub fn var(&self, dims: &[isize], correction: usize, keepdim: bool) -> Tensor<T> {
        let (value, plan, centered) = {
            let x = self.data();
            let plan = ReductionPlan::new("var", x.shape(), dims, keepdim);
            plan.require_elements("var", correction + 1);
            let count = T::from_usize(plan.count).expect("count fits the float type");
            let mean = sum_axes(&x, &plan.axes) / count;
            let centered = &*x - &plan.keepdim_view(mean);
            let divisor = T::from_usize(plan.count - correction).expect("count fits the float type");
            let value = sum_axes(&centered.mapv(|d| d * d), &plan.axes) / divisor;
            (plan.finish(value), plan, centered)
        };
        Tensor::from_op(
            "var",
            value,
            vec![self.clone()],
            Box::new(move |grad, _output, _inputs| {
                let divisor = T::from_usize(plan.count - correction).expect("count fits the float type");
                let two = T::one() + T::one();
                let spread = plan.broadcast_back(grad);
                let mut input_grad = ArrayD::zeros(centered.raw_dim());
                Zip::from(&mut input_grad)
                    .and(&spread)
                    .and(&centered)
                    .for_each(|dx, &g, &d| {
                        *dx = two * d * g / divisor;
                    });
                vec![Some(input_grad)]
            }),
        )
    }
}

/// Sums `x` over `axes`, which must be sorted ascending; the reduced axes are
/// removed.
fn sum_axes<T: Element>(x: &ArrayD<T>, axes: &[usize]) -> ArrayD<T> {
    if axes.len() == x.ndim() {
        return ArrayD::from_elem(IxDyn(&[]), x.sum());
    }
    let mut reduced = x.sum_axis(Axis(*axes.last().expect("at least one axis")));
    for &axis in axes.iter().rev().skip(1) {
        reduced = reduced.sum_axis(Axis(axis));
    }
    reduced
}

/// The shapes involved in one reduction, kept for its backward pass.
struct ReductionPlan {
    input_shape: Vec<usize>,
    /// The input shape with every reduced dimension set to 1.
    keepdim_shape: Vec<usize>,
    axes: Vec<usize>,
    keepdim: bool,
    /// How many input elements fold into each output element.
    count: usize,
}

impl ReductionPlan {
    #[track_caller]
    fn new(op: &str, shape: &[usize], dims: &[isize], keepdim: bool) -> Self {
        let axes = normalize_dims(op, dims, shape.len());
        let mut keepdim_shape = shape.to_vec();
        for &axis in &axes {
            keepdim_shape[axis] = 1;
        }
        let count = axes.iter().map(|&axis| shape[axis]).product();
        ReductionPlan {
            input_shape: shape.to_vec(),
            keepdim_shape,
            axes,
            keepdim,
            count,
        }
    }

    #[track_caller]
    fn require_elements(&self, op: &str, minimum: usize) {
        if self.count < minimum {
            crate::fail(
                op,
                format!(
                    "reducing dimensions {:?} of shape {:?} covers {} elements per result; at least {minimum} are needed",
                    self.axes, self.input_shape, self.count
                ),
            );
        }
    }

    /// Gives a reduced array (axes removed) its output shape.
    fn finish<T: Element>(&self, reduced: ArrayD<T>) -> ArrayD<T> {
        if self.keepdim {
            self.keepdim_view(reduced)
        } else {
            reduced
        }
    }

    fn keepdim_view<T: Element>(&self, reduced: ArrayD<T>) -> ArrayD<T> {
        super::reshaped(reduced, &self.keepdim_shape)
    }

    /// Spreads the gradient of the output over the input shape.
    fn broadcast_back<T: Element>(&self, grad: &ArrayD<T>) -> ArrayD<T> {
        let kept = super::reshaped(grad.clone(), &self.keepdim_shape);
        kept.broadcast(IxDyn(&self.input_shape))
            .expect("keepdim shape broadcasts to the input")
            .to_owned()
    }
}
