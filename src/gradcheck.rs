//! Gradient checking against central finite differences, in `f64`.
//!
//! [`check_gradients`] compares the gradients that `backward` computes for a
//! function with the slopes (f(x + ε) - f(x - ε)) / 2ε, one input element at
//! a time. The scalar it differentiates is Σ f(inputs) · R, where R is a
//! fixed random array of the output's shape with entries in [0.5, 1.5) and a
//! random sign, so that an op whose backward ignores or mixes up the upstream
//! gradient fails even where an all-ones upstream gradient would hide it.

use std::fmt;

use ndarray::{ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::autograd::no_grad;
use crate::tensor::Tensor;

/// Step and tolerances of [`check_gradients`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// The finite-difference step ε. Default: 1e-6.
    pub eps: f64,
    /// Absolute tolerance. Default: 1e-7.
    pub atol: f64,
    /// Relative tolerance, against the finite-difference value. Default: 1e-5.
    pub rtol: f64,
    /// Seed of the upstream weights R. Default: 0.
    pub seed: u64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-7,
            rtol: 1e-5,
            seed: 0,
        }
    }
}

/// The largest disagreement a passing check saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckReport {
    /// max |analytic - numeric| over every checked element.
    pub max_abs_error: f64,
    /// How many input elements were checked.
    pub checked: usize,
}

/// A failed gradient check: the first element whose analytic and numeric
/// gradients differ by more than the tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckError {
    /// Which input (position in the slice passed to `check_gradients`).
    pub input: usize,
    /// The element's multi-dimensional index within that input.
    pub index: Vec<usize>,
    /// The gradient `backward` computed.
    pub analytic: f64,
    /// The central finite-difference estimate.
    pub numeric: f64,
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient mismatch for input {} at index {:?}: backward gave {:.10e}, finite differences gave {:.10e} (difference {:.3e})",
            self.input,
            self.index,
            self.analytic,
            self.numeric,
            (self.analytic - self.numeric).abs()
        )
    }
}

impl std::error::Error for GradcheckError {}

/// Checks the gradients of `f` with respect to every input against central
/// finite differences.
///
/// `inputs` are copied into fresh leaves that require gradients; `f` must be
/// a pure function of them (same inputs, same output). An input whose
/// gradient `backward` never reaches counts as a zero gradient.
///
/// ```
/// use convgrad::gradcheck::{check_gradients, GradcheckOptions};
/// use convgrad::Tensor;
///
/// let x = Tensor::<f64>::from_vec(vec![0.3, -1.2, 2.0], &[3]);
/// let report = check_gradients(|t| t[0].tanh(), &[x], GradcheckOptions::default()).unwrap();
/// assert_eq!(report.checked, 3);
/// ```
///
/// # Errors
/// The first element whose gradients differ by more than
/// `atol + rtol·|numeric|`.
pub fn check_gradients<F>(
    f: F,
    inputs: &[Tensor<f64>],
    options: GradcheckOptions,
) -> Result<GradcheckReport, GradcheckError>
where
    F: Fn(&[Tensor<f64>]) -> Tensor<f64>,
{
    let leaves: Vec<Tensor<f64>> = inputs
        .iter()
        .map(|t| Tensor::from_array(t.to_array()).requires_grad_(true))
        .collect();

    let output = f(&leaves);
    let mut rng = StdRng::seed_from_u64(options.seed);
    let upstream = ArrayD::from_shape_simple_fn(IxDyn(&output.shape()), || {
        let magnitude: f64 = rng.random_range(0.5..1.5);
        if rng.random::<bool>() {
            magnitude
        } else {
            -magnitude
        }
    });
    output.backward_with_grad(upstream.clone());
    drop(output);

    let weighted_sum = |leaves: &[Tensor<f64>]| -> f64 {
        let output = no_grad(|| f(leaves));
        let value = output.data();
        value.iter().zip(upstream.iter()).map(|(y, r)| y * r).sum()
    };

    let mut report = GradcheckReport {
        max_abs_error: 0.0,
        checked: 0,
    };
    for (input_index, leaf) in leaves.iter().enumerate() {
        let analytic: Vec<f64> = leaf
            .grad()
            .map_or_else(|| vec![0.0; leaf.numel()], |g| g.iter().copied().collect());
        let shape = leaf.shape();
        for flat in 0..leaf.numel() {
            let original = nth_mut(leaf, flat, |v| *v);
            nth_mut(leaf, flat, |v| *v = original + options.eps);
            let plus = weighted_sum(&leaves);
            nth_mut(leaf, flat, |v| *v = original - options.eps);
            let minus = weighted_sum(&leaves);
            nth_mut(leaf, flat, |v| *v = original);

            let numeric = (plus - minus) / (2.0 * options.eps);
            let computed = analytic[flat];
            let error = (computed - numeric).abs();
            report.checked += 1;
            report.max_abs_error = report.max_abs_error.max(error);
            if !(error <= options.atol + options.rtol * numeric.abs()) {
                return Err(GradcheckError {
                    input: input_index,
                    index: unravel(flat, &shape),
                    analytic: computed,
                    numeric,
                });
            }
        }
    }
    Ok(report)
}

fn nth_mut<R>(tensor: &Tensor<f64>, flat: usize, f: impl FnOnce(&mut f64) -> R) -> R {
    let mut data = tensor.data_mut();
    f(data.iter_mut().nth(flat).expect("index below numel"))
}

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (slot, &size) in index.iter_mut().zip(shape).rev() {
        *slot = flat % size;
        flat /= size;
    }
    index
}
