use crate::element::Element;
use crate::tensor::Tensor;

use super::{check_positive, Module};

/// Concatenates every `n` consecutive time steps into one, as the makemore
/// lecture's `FlattenConsecutive(n)`: `(B, T, C)` becomes `(B, T/n, n·C)`,
/// where output step t holds input steps n·t, …, n·t + n - 1 side by side.
///
/// When T/n is 1 the time dimension is dropped and the output is
/// `(B, n·C)`, as in the lecture, so that a following `Linear` and
/// `BatchNorm1d` see a plain `(N, C)` batch.
///
/// # Shapes
/// - input: `(B, T, C)` with T divisible by n
/// - output: `(B, T/n, n·C)`, or `(B, n·C)` when T = n
///
/// ```
/// use convgrad::nn::{FlattenConsecutive, Module};
/// use convgrad::Tensor;
///
/// let x = Tensor::<f32>::zeros(&[32, 8, 24]);
/// assert_eq!(FlattenConsecutive::new(2).forward(&x).shape(), vec![32, 4, 48]);
/// assert_eq!(FlattenConsecutive::new(8).forward(&x).shape(), vec![32, 192]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FlattenConsecutive {
    n: usize,
}

impl FlattenConsecutive {
    /// Groups `n` consecutive steps.
    ///
    /// # Panics
    /// If `n` is 0.
    pub fn new(n: usize) -> Self {
        check_positive("FlattenConsecutive", "n", n);
        FlattenConsecutive { n }
    }
}

impl<T: Element> Module<T> for FlattenConsecutive {
    type Input = Tensor<T>;

    /// # Panics
    /// If the input is not 3-D, or T is not divisible by n.
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let (batch, time, channels) = match input.shape()[..] {
            [b, t, c] => (b, t, c),
            ref other => crate::fail(
                "FlattenConsecutive",
                format!("expected a 3-D input (B, T, C), got shape {other:?}"),
            ),
        };
        if time % self.n != 0 {
            crate::fail(
                "FlattenConsecutive",
                format!(
                    "T = {time} is not divisible by n = {} (input shape [{batch}, {time}, {channels}])",
                    self.n
                ),
            );
        }
        if time == self.n {
            input.reshape(&[batch, self.n * channels]) // (B, n·C)
        } else {
            input.reshape(&[batch, time / self.n, self.n * channels]) // (B, T/n, n·C)
        }
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        Vec::new()
    }
}
