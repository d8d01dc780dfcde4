//! The reverse-mode walk over the recorded graph, and the switch that turns
//! recording off.
//!
//! The walk knows nothing about individual ops: each recorded op carries its
//! own backward function (see the `ops` modules), and the walk only orders the
//! nodes, feeds each one the gradient of its output and adds up what flows
//! into every input.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use ndarray::ArrayD;

use crate::element::Element;
use crate::tensor::Tensor;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread currently record the graph.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Runs `f` with graph recording turned off on this thread, as
/// `with torch.no_grad():` does, and restores the previous setting afterwards,
/// also when `f` panics.
///
/// ```
/// use convgrad::{no_grad, Tensor};
/// let w = Tensor::<f32>::ones(&[2]).requires_grad_(true);
/// let y = no_grad(|| &w * 3.0);
/// assert!(!y.requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}

/// Turns graph recording off on this thread until it is dropped.
pub struct NoGradGuard {
    previous: bool,
}

impl NoGradGuard {
    /// Turns recording off and remembers the previous setting.
    pub fn new() -> Self {
        let previous = GRAD_ENABLED.with(|flag| flag.replace(false));
        NoGradGuard { previous }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|flag| flag.set(self.previous));
    }
}

impl<T: Element> Tensor<T> {
    /// Computes the gradient of this scalar with respect to every leaf that
    /// requires a gradient, and adds it to that leaf's `grad`.
    ///
    /// Gradients accumulate across calls, as in PyTorch: clear them with
    /// `zero_grad` between steps. The graph stays intact, so `backward` may
    /// run again on the same output.
    ///
    /// # Panics
    /// If the tensor has more than one element (use
    /// [`backward_with_grad`](Tensor::backward_with_grad)), or does not require
    /// a gradient.
    pub fn backward(&self) {
        let shape = self.shape();
        if shape.iter().product::<usize>() != 1 {
            crate::fail(
                "Tensor::backward",
                format!(
                    "called on a tensor of shape {shape:?}; it needs a scalar (1 element), or use backward_with_grad"
                ),
            );
        }
        self.backward_with_grad(ArrayD::ones(shape));
    }

    /// Back-propagates `grad`, the gradient of some scalar with respect to this
    /// tensor, into every leaf that requires a gradient.
    ///
    /// The walk is iterative (an explicit stack, no recursion), so graphs of
    /// any depth are fine.
    ///
    /// # Panics
    /// If `grad`'s shape differs from the tensor's, if the tensor does not
    /// require a gradient, or if an op's backward returns a gradient of the
    /// wrong shape (a bug in that op, named in the message).
    pub fn backward_with_grad(&self, grad: ArrayD<T>) {
        if grad.shape() != self.data().shape() {
            crate::fail(
                "Tensor::backward_with_grad",
                format!(
                    "gradient shape {:?} differs from tensor shape {:?}",
                    grad.shape(),
                    self.data().shape()
                ),
            );
        }
        if !self.requires_grad() {
            crate::fail(
                "Tensor::backward",
                "the tensor does not require a gradient: no input of the ops that made it has requires_grad set, or it was computed under no_grad",
            );
        }
        if self.is_leaf() {
            self.accumulate_grad(grad);
            return;
        }

        let order = topological_order(self);
        let mut pending: HashMap<usize, ArrayD<T>> = HashMap::new();
        pending.insert(self.id(), grad);

        for tensor in order.iter().rev() {
            let Some(grad_output) = pending.remove(&tensor.id()) else {
                continue;
            };
            let grad_fn = tensor
                .node
                .grad_fn
                .as_ref()
                .expect("only recorded ops are in the order");
            let input_grads = {
                let output = tensor.data();
                (grad_fn.backward)(&grad_output, &output, &grad_fn.inputs)
            };
            drop(grad_output);
            if input_grads.len() != grad_fn.inputs.len() {
                crate::fail(
                    grad_fn.name,
                    format!(
                        "backward returned {} gradients for {} inputs",
                        input_grads.len(),
                        grad_fn.inputs.len()
                    ),
                );
            }
            for (input, input_grad) in grad_fn.inputs.iter().zip(input_grads) {
                let Some(input_grad) = input_grad else { continue };
                if !input.requires_grad() {
                    continue;
                }
                let input_shape = input.data().shape().to_vec();
                if input_grad.shape() != input_shape.as_slice() {
                    crate::fail(
                        grad_fn.name,
                        format!(
                            "backward returned a gradient of shape {:?} for an input of shape {input_shape:?}",
                            input_grad.shape()
                        ),
                    );
                }
                if input.is_leaf() {
                    input.accumulate_grad(input_grad);
                } else {
                    match pending.get_mut(&input.id()) {
                        Some(sum) => *sum += &input_grad,
                        None => {
                            pending.insert(input.id(), input_grad);
                        }
                    }
                }
            }
        }
    }
}

/// Lists the recorded (non-leaf) nodes reachable from `root` so that every
/// node comes after all the nodes it was computed from.
fn topological_order<T: Element>(root: &Tensor<T>) -> Vec<Tensor<T>> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    let mut stack: Vec<(Tensor<T>, bool)> = vec![(root.clone(), false)];
    while let Some((tensor, inputs_done)) = stack.pop() {
        if inputs_done {
            order.push(tensor);
            continue;
        }
        if !visited.insert(tensor.id()) {
            continue;
        }
        let grad_fn = tensor.node.grad_fn.as_ref().expect("leaves are never pushed");
        let inputs: Vec<Tensor<T>> = grad_fn
            .inputs
            .iter()
            .filter(|input| input.requires_grad() && !input.is_leaf() && !visited.contains(&input.id()))
            .cloned()
            .collect();
        stack.push((tensor, true));
        stack.extend(inputs.into_iter().map(|input| (input, false)));
    }
    order
}
