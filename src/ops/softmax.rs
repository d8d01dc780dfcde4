//! Softmax and log-softmax along one dimension.

use ndarray::{ArrayD, ArrayViewMut1, Axis, Zip};

use super::normalize_dim;
use crate::element::Element;
use crate::tensor::Tensor;

/// `torch.softmax(input, dim)`: exp(x - max) / Σ exp(x - max) along `dim`.
/// With y the output and g the upstream gradient, dx = y·(g - Σ g·y).
///
/// Entries of `-inf` get probability 0; a lane that is entirely `-inf` gives
/// NaN, as in PyTorch.
///
/// # Panics
/// If `dim` is out of range.
pub fn softmax<T: Element>(input: &Tensor<T>, dim: isize) -> Tensor<T> {
    let (value, axis) = {
        let x = input.data();
        let axis = Axis(normalize_dim("softmax", dim, x.ndim()));
        let mut y = x.clone();
        y.lanes_mut(axis).into_iter().for_each(softmax_in_place);
        (y, axis)
    };
    Tensor::from_op(
        "softmax",
        value,
        vec![input.clone()],
        Box::new(move |grad, output, _inputs| {
            let mut input_grad = ArrayD::zeros(output.raw_dim());
            Zip::from(input_grad.lanes_mut(axis))
                .and(grad.lanes(axis))
                .and(output.lanes(axis))
                .for_each(|mut dx, g, y| {
                    let dot: T = g.iter().zip(y.iter()).map(|(&g, &y)| g * y).sum();
                    Zip::from(&mut dx)
                        .and(&g)
                        .and(&y)
                        .for_each(|dx, &g, &y| *dx = y * (g - dot));
                });
            vec![Some(input_grad)]
        }),
    )
}

/// `torch.log_softmax(input, dim)`: x - max - log Σ exp(x - max) along `dim`.
/// With y the output and g the upstream gradient, dx = g - exp(y)·Σ g.
///
/// # Panics
/// If `dim` is out of range.
pub fn log_softmax<T: Element>(input: &Tensor<T>, dim: isize) -> Tensor<T> {
    let (value, axis) = {
        let x = input.data();
        let axis = Axis(normalize_dim("log_softmax", dim, x.ndim()));
        let mut y = x.clone();
        y.lanes_mut(axis).into_iter().for_each(|mut lane| {
            let shift = log_sum_exp(lane.iter().copied());
            lane.mapv_inplace(|v| v - shift);
        });
        (y, axis)
    };
    Tensor::from_op(
        "log_softmax",
        value,
        vec![input.clone()],
        Box::new(move |grad, output, _inputs| {
            let mut input_grad = ArrayD::zeros(output.raw_dim());
            Zip::from(input_grad.lanes_mut(axis))
                .and(grad.lanes(axis))
                .and(output.lanes(axis))
                .for_each(|mut dx, g, y| {
                    let total: T = g.iter().copied().sum();
                    Zip::from(&mut dx)
                        .and(&g)
                        .and(&y)
                        .for_each(|dx, &g, &y| *dx = g - y.exp() * total);
                });
            vec![Some(input_grad)]
        }),
    )
}

pub(crate) fn softmax_in_place<T: Element>(mut lane: ArrayViewMut1<'_, T>) {
    let max = lane.iter().copied().fold(T::neg_infinity(), T::max);
    lane.mapv_inplace(|v| (v - max).exp());
    let total: T = lane.iter().copied().sum();
    lane.mapv_inplace(|v| v / total);
}

/// log Σ exp(v), computed as max + log Σ exp(v - max) so that large
/// magnitudes neither overflow nor lose the largest term.
pub(crate) fn log_sum_exp<T: Element>(values: impl Iterator<Item = T> + Clone) -> T {
    let max = values.clone().fold(T::neg_infinity(), T::max);
    if max == T::neg_infinity() {
        return max;
    }
    let total: T = values.map(|v| (v - max).exp()).sum();
    max + total.ln()
}
