//! Cross-entropy loss on logits.

use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};

use super::softmax::log_sum_exp;
use crate::element::Element;
use crate::tensor::Tensor;

/// How a loss combines its per-element values, as PyTorch's `reduction`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean over the targets that are not ignored (PyTorch's default).
    #[default]
    Mean,
    /// The sum over the targets that are not ignored.
    Sum,
    /// One loss per target, ignored targets giving 0.
    None,
}

/// Options of [`cross_entropy`], with PyTorch's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrossEntropyOptions {
    /// How the per-target losses combine. Default: [`Reduction::Mean`].
    pub reduction: Reduction,
    /// A target value that contributes neither loss nor gradient. PyTorch's
    /// default, -100, cannot be a class index; `None` here means the same:
    /// no target is ignored.
    pub ignore_index: Option<usize>,
}

/// `torch.nn.functional.cross_entropy` on unnormalised logits and class
/// indices: loss = log Σ_c exp(x_c) - x_target, per target.
///
/// The log-sum-exp subtracts each row's maximum first, so logits of any
/// finite magnitude (1e4 and beyond) give a finite loss and gradient. The
/// gradient of each target's loss with respect to its logits is
/// softmax(x) - onehot(target), scaled by the upstream gradient (and by
/// 1/count for the mean).
///
/// With [`Reduction::Mean`] and every target ignored, the loss is NaN (0/0)
/// and the gradient is 0, as in PyTorch.
///
/// # Shapes
/// - `logits`: `(N, C)` or `(N, C, d1, ...)`: classes in dimension 1
/// - `targets`: `(N)` or `(N, d1, ...)`, values in `0..C`
/// - output: a scalar, or the target shape with [`Reduction::None`]
///
/// # Panics
/// If the shapes do not match as above, or a target (other than
/// `ignore_index`) is not below C.
pub fn cross_entropy<T, S, D>(logits: &Tensor<T>, targets: &ArrayBase<S, D>, options: CrossEntropyOptions) -> Tensor<T>
where
    T: Element,
    S: Data<Elem = usize>,
    D: Dimension,
{
    let target_shape = targets.shape().to_vec();
    let targets: Vec<usize> = targets.iter().copied().collect();
    let layout = {
        let x = logits.data();
        check_shapes(x.shape(), &target_shape, &targets, options.ignore_index);
        ClassLayout::of(x.shape())
    };
    let (losses, counted) = {
        let x = logits.data();
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("standard layout");
        let mut losses = vec![T::zero(); targets.len()];
        let mut counted = 0usize;
        for (position, &target) in targets.iter().enumerate() {
            if Some(target) == options.ignore_index {
                continue;
            }
            let lane = layout.lane(x, position);
            losses[position] = log_sum_exp(lane.clone()) - x[layout.index(position, target)];
            counted += 1;
        }
        (losses, counted)
    };

    let value = match options.reduction {
        Reduction::None => ArrayD::from_shape_vec(IxDyn(&target_shape), losses).expect("one loss per target"),
        Reduction::Sum => ArrayD::from_elem(IxDyn(&[]), losses.iter().copied().sum()),
        Reduction::Mean => {
            let count = T::from_usize(counted).expect("count fits the float type");
            ArrayD::from_elem(IxDyn(&[]), losses.iter().copied().sum::<T>() / count)
        }
    };

    Tensor::from_op(
        "cross_entropy",
        value,
        vec![logits.clone()],
        Box::new(move |grad, _output, inputs| {
            let x = inputs[0].data();
            let shape = x.shape().to_vec();
            let x = x.as_standard_layout();
            let x = x.as_slice().expect("standard layout");
            let mut input_grad = vec![T::zero(); x.len()];
            let grad = grad.as_standard_layout();
            let grad = grad.as_slice().expect("standard layout");
            for (position, &target) in targets.iter().enumerate() {
                if Some(target) == options.ignore_index {
                    continue;
                }
                let scale = match options.reduction {
                    Reduction::None => grad[position],
                    Reduction::Sum => grad[0],
                    Reduction::Mean => grad[0] / T::from_usize(counted).expect("count fits the float type"),
                };
                let lane = layout.lane(x, position);
                let shift = log_sum_exp(lane);
                for class in 0..layout.classes {
                    let index = layout.index(position, class);
                    let probability = (x[index] - shift).exp();
                    let onehot = if class == target { T::one() } else { T::zero() };
                    input_grad[index] = scale * (probability - onehot);
                }
            }
            vec![Some(
                ArrayD::from_shape_vec(IxDyn(&shape), input_grad).expect("logits shape"),
            )]
        }),
    )
}

/// The logits viewed as `(N, C, L)`, with L the product of the dimensions
/// after the class dimension (1 for 2-D logits). Target `position` is
/// `n·L + l`.
#[derive(Clone, Copy)]
struct ClassLayout {
    classes: usize,
    inner: usize,
}

impl ClassLayout {
    fn of(shape: &[usize]) -> Self {
        ClassLayout {
            classes: shape[1],
            inner: shape[2..].iter().product(),
        }
    }

    fn index(&self, position: usize, class: usize) -> usize {
        let (n, l) = (position / self.inner, position % self.inner);
        (n * self.classes + class) * self.inner + l
    }

    fn lane<'a, T: Element>(&self, x: &'a [T], position: usize) -> impl Iterator<Item = T> + Clone + 'a {
        let layout = *self;
        (0..self.classes).map(move |class| x[layout.index(position, class)])
    }
}

#[track_caller]
fn check_shapes(logits_shape: &[usize], target_shape: &[usize], targets: &[usize], ignore_index: Option<usize>) {
    if logits_shape.len() < 2 {
        crate::fail(
            "cross_entropy",
            format!("logits must be (N, C) or (N, C, d1, ...), got shape {logits_shape:?}"),
        );
    }
    let mut expected = logits_shape.to_vec();
    let classes = expected.remove(1);
    if target_shape != expected.as_slice() {
        crate::fail(
            "cross_entropy",
            format!("logits of shape {logits_shape:?} need targets of shape {expected:?}, got {target_shape:?}"),
        );
    }
    let invalid = targets.iter().position(|&t| t >= classes && Some(t) != ignore_index);
    if let Some(position) = invalid {
        crate::fail(
            "cross_entropy",
            format!(
                "target {} at flat position {position} is out of range for {classes} classes",
                targets[position]
            ),
        );
    }
}
