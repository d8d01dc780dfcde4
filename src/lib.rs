//! # convgrad
//!
//! A small deep-learning library: an n-dimensional [`Tensor`] on
//! [`ndarray`] with define-by-run reverse-mode autograd, [`nn`] modules named
//! and initialised as in `torch.nn`, 1-D convolution by a direct or an FFT
//! path in [`conv`], an [`optim::Sgd`] optimizer, a makemore-style character
//! corpus in [`data`], and the makemore WaveNets in [`models`].
//!
//! ```
//! use convgrad::Tensor;
//!
//! let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad_(true);
//! let y = (&x * &x).sum_all(); // y = sum(x^2)
//! y.backward();
//! assert_eq!(x.grad().unwrap().into_raw_vec_and_offset().0, vec![2.0, 4.0, 6.0]);
//! ```
//!
//! ## Conventions
//!
//! - **Element types.** `Tensor<f32>` (the default) for training and
//!   `Tensor<f64>` for gradient checks.
//! - **Shapes.** Sizes are `usize`. Dimension arguments are `isize` and may be
//!   negative, counting from the end as in PyTorch (`-1` is the last
//!   dimension). Shape names in docs: `N` or `B` batch, `C` channels or
//!   features, `L` or `T` sequence length (time), `V` vocabulary size.
//! - **Broadcasting** follows NumPy and PyTorch: shapes are aligned from the
//!   right, and a size of 1 stretches. The gradient of a broadcast operand is
//!   summed back to its own shape.
//! - **Backward next to forward.** Every op lives in one of the `ops` files
//!   together with its backward function; the graph walk in `autograd` names
//!   no op.
//!
//! ## Errors
//!
//! Programmer errors (incompatible shapes, out-of-range dimensions or
//! indices, invalid module arguments) panic with a message that starts with
//! the op's name and states the shapes or values and the rule they break, for
//! example `matmul: inner dimensions differ: [2, 3] @ [4, 5] needs 3 == 4`.
//! Every public function lists these cases under `# Panics`. Input read from
//! outside the program (corpus files) returns a `Result` with a typed error
//! instead; see [`data::DataError`].
//!
//! ## Limitations
//!
//! - CPU only, and no in-place ops inside the graph: [`Tensor::data_mut`]
//!   changes a value outside the graph, and an op recorded before such a
//!   change sees the new value in its backward pass.
//! - Gradients of gradients (double backward) are not supported: backward
//!   functions compute plain arrays, not recorded tensors.
//! - Random draws are reproducible within convgrad for a seed, but do not
//!   match PyTorch's draws for the same seed.
//! - Computation is single-threaded; only the matrix products of `ndarray`
//!   could use more threads, and that feature of `matrixmultiply` is not
//!   enabled.
//! - Convolution is 1-D only, with zero padding (no reflect or circular
//!   padding modes).

#![warn(missing_docs)]

mod autograd;
pub mod conv;
pub mod data;
mod element;
mod fastmath;
pub mod gradcheck;
pub mod models;
pub mod nn;
pub mod ops;
pub mod optim;
mod random;
mod tensor;

pub use autograd::{is_grad_enabled, no_grad, NoGradGuard};
pub use element::Element;
/// The `ndarray` version convgrad is built on, so callers can name its types
/// without adding a second, possibly different, version.
pub use ndarray;
pub use random::{manual_seed, with_generator, DEFAULT_SEED};
pub use tensor::{BackwardFn, Tensor};

/// Panics with the crate's message format for a programmer error:
/// `"{op}: {rule and values}"`.
#[track_caller]
pub(crate) fn fail(op: &str, message: impl std::fmt::Display) -> ! {
    panic!("{op}: {message}")
}
