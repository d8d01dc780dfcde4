//! The [`Tensor`] type: an n-dimensional array with an optional place in the
//! autograd graph.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ndarray::{ArrayD, Dimension, IxDyn};

use crate::autograd::is_grad_enabled;
use crate::element::Element;
use crate::random;

/// The backward function of one op, as passed to [`Tensor::from_op`].
///
/// It receives the gradient of the loss with respect to the op's output, the
/// output's value and the op's inputs, and returns one entry per input: the
/// gradient with respect to that input (same shape as the input), or `None`
/// where the input does not require a gradient.
pub type BackwardFn<T> = Box<dyn Fn(&ArrayD<T>, &ArrayD<T>, &[Tensor<T>]) -> Vec<Option<ArrayD<T>>> + Send + Sync>;

/// The record an op leaves on its output: the op's name, its inputs and its
/// backward function.
pub(crate) struct GradFn<T: Element> {
    pub(crate) name: &'static str,
    pub(crate) inputs: Vec<Tensor<T>>,
    pub(crate) backward: BackwardFn<T>,
}

pub(crate) struct Node<T: Element> {
    pub(crate) data: Arc<RwLock<ArrayD<T>>>,
    pub(crate) grad: Mutex<Option<ArrayD<T>>>,
    pub(crate) requires_grad: AtomicBool,
    pub(crate) grad_fn: Option<GradFn<T>>,
}

/// An n-dimensional array of `f32` (the default) or `f64`, stored as an
/// [`ndarray::ArrayD`], that records the ops applied to it so that
/// [`backward`](Tensor::backward) can compute gradients.
///
/// A `Tensor` is a cheap handle: `clone` shares the same node, as a second
/// Python reference to a `torch.Tensor` would. Leaves are tensors created by
/// the user (constructors, [`detach`](Tensor::detach)); every other tensor is
/// the output of an op and remembers that op while gradients are enabled and
/// some input requires a gradient.
///
/// Tensors are `Send` and `Sync`: the value sits behind a read-write lock so
/// that optimizers and running statistics can update it in place.
pub struct Tensor<T: Element = f32> {
    pub(crate) node: Arc<Node<T>>,
}

impl<T: Element> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor {
            node: Arc::clone(&self.node),
        }
    }
}

impl<T: Element> Drop for Node<T> {
    /// Unlinks the graph behind this node iteratively, so that dropping the
    /// output of a chain of 100,000 ops does not recurse 100,000 deep.
    fn drop(&mut self) {
        let Some(grad_fn) = self.grad_fn.take() else { return };
        let mut pending: Vec<Tensor<T>> = grad_fn.inputs;
        while let Some(tensor) = pending.pop() {
            if let Ok(mut node) = Arc::try_unwrap(tensor.node) {
                if let Some(inner) = node.grad_fn.take() {
                    pending.extend(inner.inputs);
                }
            }
        }
    }
}

impl<T: Element> Tensor<T> {
    // ------------------------------------------------------------------ construction

    /// Creates a leaf tensor that owns `array`. It does not require a gradient
    /// until [`requires_grad_`](Tensor::requires_grad_) is called.
    pub fn from_array<D: Dimension>(array: ndarray::Array<T, D>) -> Self {
        Self::leaf(array.into_dyn())
    }

    /// Creates a leaf tensor from row-major `values` with the given shape.
    ///
    /// # Panics
    /// If `values.len()` is not the product of `shape`.
    pub fn from_vec(values: Vec<T>, shape: &[usize]) -> Self {
        let expected: usize = shape.iter().product();
        if values.len() != expected {
            crate::fail(
                "Tensor::from_vec",
                format!(
                    "{} values cannot fill shape {shape:?}, which holds {expected}",
                    values.len()
                ),
            );
        }
        let array = ArrayD::from_shape_vec(IxDyn(shape), values).expect("length checked above");
        Self::leaf(array)
    }

    /// Creates a 0-dimensional leaf tensor holding `value`.
    pub fn scalar(value: T) -> Self {
        Self::leaf(ArrayD::from_elem(IxDyn(&[]), value))
    }

    /// Creates a leaf tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::leaf(ArrayD::zeros(IxDyn(shape)))
    }

    /// Creates a leaf tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::leaf(ArrayD::ones(IxDyn(shape)))
    }

    /// Creates a leaf tensor filled with `value`.
    pub fn full(shape: &[usize], value: T) -> Self {
        Self::leaf(ArrayD::from_elem(IxDyn(shape), value))
    }

    /// Creates a leaf tensor of independent standard normal draws from the
    /// thread's generator (see [`manual_seed`](crate::manual_seed)), as
    /// `torch.randn` does.
    pub fn randn(shape: &[usize]) -> Self {
        Self::leaf(random::normal_array(shape, 0.0, 1.0))
    }

    /// Creates a leaf tensor of independent draws from U(0, 1), as `torch.rand`
    /// does.
    pub fn rand(shape: &[usize]) -> Self {
        Self::leaf(random::uniform_array(shape, 0.0, 1.0))
    }

    pub(crate) fn leaf(array: ArrayD<T>) -> Self {
        Tensor {
            node: Arc::new(Node {
                data: Arc::new(RwLock::new(array)),
                grad: Mutex::new(None),
                requires_grad: AtomicBool::new(false),
                grad_fn: None,
            }),
        }
    }

    /// Records a differentiable op, as a `torch.autograd.Function` does:
    /// `value` is the op's output computed from `inputs`, and `backward` maps
    /// the output's gradient to one gradient per input (see [`BackwardFn`]).
    ///
    /// The result joins the graph only when gradients are enabled and some
    /// input requires a gradient; otherwise `backward` is dropped unused and
    /// the result is a plain leaf. `name` appears in panic messages and in
    /// `Debug` output.
    ///
    /// ```
    /// use convgrad::Tensor;
    /// use ndarray::ArrayD;
    ///
    /// // y = 3x, with its derivative 3.
    /// let x = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    /// let value = x.to_array() * 3.0;
    /// let y = Tensor::from_op("triple", value, vec![x.clone()], Box::new(|grad: &ArrayD<f64>, _output: &ArrayD<f64>, _inputs: &[Tensor<f64>]| {
    ///     vec![Some(grad * 3.0)]
    /// }));
    /// y.sum_all().backward();
    /// assert_eq!(x.grad().unwrap().into_raw_vec_and_offset().0, vec![3.0, 3.0]);
    /// ```
    pub fn from_op(name: &'static str, value: ArrayD<T>, inputs: Vec<Tensor<T>>, backward: BackwardFn<T>) -> Self {
        let tracked = is_grad_enabled() && inputs.iter().any(Tensor::requires_grad);
        if !tracked {
            return Self::leaf(value);
        }
        Tensor {
            node: Arc::new(Node {
                data: Arc::new(RwLock::new(value)),
                grad: Mutex::new(None),
                requires_grad: AtomicBool::new(true),
                grad_fn: Some(GradFn { name, inputs, backward }),
            }),
        }
    }

    // ------------------------------------------------------------------ autograd state

    /// Sets whether this leaf accumulates a gradient, as `torch.Tensor.requires_grad_`
    /// does, and returns the tensor for chaining.
    ///
    /// # Panics
    /// If the tensor is the output of an op: only leaves can change the flag.
    pub fn requires_grad_(self, requires_grad: bool) -> Self {
        if !self.is_leaf() {
            crate::fail(
                "Tensor::requires_grad_",
                format!(
                    "the tensor is the output of `{}`; only leaf tensors can change requires_grad (use detach() first)",
                    self.op_name().unwrap_or("?")
                ),
            );
        }
        self.node.requires_grad.store(requires_grad, Ordering::Relaxed);
        self
    }

    /// Whether gradients flow to this tensor.
    pub fn requires_grad(&self) -> bool {
        self.node.requires_grad.load(Ordering::Relaxed)
    }

    /// Whether the tensor was created by the user rather than by a recorded op.
    pub fn is_leaf(&self) -> bool {
        self.node.grad_fn.is_none()
    }

    /// The name of the op that produced this tensor, if it is recorded.
    pub fn op_name(&self) -> Option<&'static str> {
        self.node.grad_fn.as_ref().map(|f| f.name)
    }

    /// A copy of the accumulated gradient, or `None` before any backward pass
    /// reached this leaf (and after [`zero_grad`](Tensor::zero_grad)).
    pub fn grad(&self) -> Option<ArrayD<T>> {
        self.node.grad.lock().expect("gradient lock poisoned").clone()
    }

    /// Clears the accumulated gradient, as `torch`'s `zero_grad(set_to_none=True)`
    /// does.
    pub fn zero_grad(&self) {
        *self.node.grad.lock().expect("gradient lock poisoned") = None;
    }

    /// Runs `f` on the accumulated gradient, if there is one, without copying it.
    pub fn with_grad<R>(&self, f: impl FnOnce(Option<&ArrayD<T>>) -> R) -> R {
        let guard = self.node.grad.lock().expect("gradient lock poisoned");
        f(guard.as_ref())
    }

    pub(crate) fn accumulate_grad(&self, gradient: ArrayD<T>) {
        let mut slot = self.node.grad.lock().expect("gradient lock poisoned");
        match slot.as_mut() {
            Some(existing) => *existing += &gradient,
            None => *slot = Some(gradient),
        }
    }

    /// Returns a new leaf that shares this tensor's storage but is cut off from
    /// the graph and does not require a gradient.
    pub fn detach(&self) -> Self {
        Tensor {
            node: Arc::new(Node {
                data: Arc::clone(&self.node.data),
                grad: Mutex::new(None),
                requires_grad: AtomicBool::new(false),
                grad_fn: None,
            }),
        }
    }

    /// An address that identifies the tensor's node while it is alive.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.node) as *const () as usize
    }

    // ------------------------------------------------------------------ value access

    /// Borrows the value for reading.
    ///
    /// Hold the guard briefly: an in-place update of the same tensor (an
    /// optimizer step, a running-statistics update) waits until it is dropped.
    pub fn data(&self) -> RwLockReadGuard<'_, ArrayD<T>> {
        self.node.data.read().expect("tensor lock poisoned")
    }

    /// Borrows the value for writing in place, outside the graph, as
    /// `with torch.no_grad(): p -= lr * p.grad` does.
    ///
    /// Changing a value that a recorded op has already read makes that op's
    /// backward use the new value, since ops read their inputs again during
    /// the backward pass; update parameters only after `backward`.
    pub fn data_mut(&self) -> RwLockWriteGuard<'_, ArrayD<T>> {
        self.node.data.write().expect("tensor lock poisoned")
    }

    /// A copy of the value.
    pub fn to_array(&self) -> ArrayD<T> {
        self.data().clone()
    }

    /// The value as a row-major `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        self.data().iter().copied().collect()
    }

    /// The value of a tensor with exactly one element, as `torch.Tensor.item`.
    ///
    /// # Panics
    /// If the tensor has more or fewer than one element.
    pub fn item(&self) -> T {
        let data = self.data();
        if data.len() != 1 {
            crate::fail(
                "Tensor::item",
                format!(
                    "a tensor of shape {:?} has {} elements, expected exactly 1",
                    data.shape(),
                    data.len()
                ),
            );
        }
        *data.iter().next().expect("one element")
    }

    /// The shape, one size per dimension.
    pub fn shape(&self) -> Vec<usize> {
        self.data().shape().to_vec()
    }

    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.data().ndim()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.data().len()
    }
}

impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data();
        write!(f, "Tensor(shape={:?}, dtype={}", data.shape(), T::NAME)?;
        if let Some(name) = self.op_name() {
            write!(f, ", grad_fn={name}")?;
        } else if self.requires_grad() {
            write!(f, ", requires_grad=true")?;
        }
        write!(f, ")\n{data}")
    }
}

impl<T: Element> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", *self.data())
    }
}
