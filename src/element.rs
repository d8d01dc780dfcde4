//! The floating-point element types a [`Tensor`](crate::Tensor) can hold.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use std::sync::{Mutex, OnceLock};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, FromPrimitive, NumAssign, ToPrimitive};
use realfft::RealFftPlanner;
use rustfft::FftNum;

/// A floating-point scalar that tensors store: `f32` for training, `f64` for
/// gradient checks and reference comparisons.
///
/// The trait is sealed in spirit: only `f32` and `f64` implement it, and the
/// crate's numeric tolerances are chosen for those two.
pub trait Element:
    Float
    + NumAssign
    + FromPrimitive
    + ToPrimitive
    + LinalgScalar
    + ScalarOperand
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Debug
    + Display
    + Default
    + FftNum
    + Send
    + Sync
    + 'static
{
    /// The type's name as PyTorch spells the dtype (`"float32"`, `"float64"`).
    const NAME: &'static str;

    /// Converts an `f64` constant to this type, rounding to nearest for `f32`.
    fn from_f64_lossy(value: f64) -> Self;

    /// Writes tanh of every input element to `output`; `f32` uses a
    /// vectorisable approximation (see `fastmath`), `f64` the C library.
    #[doc(hidden)]
    fn tanh_slice(input: &[Self], output: &mut [Self]) {
        for (y, &x) in output.iter_mut().zip(input) {
            *y = x.tanh();
        }
    }

    /// The process-wide real-FFT planner for this type. The planner keeps
    /// every plan it has made, so each transform length is planned once and
    /// its plan shared by all calls and threads.
    #[doc(hidden)]
    fn fft_planner() -> &'static Mutex<RealFftPlanner<Self>>;
}

impl Element for f32 {
    const NAME: &'static str = "float32";

    fn from_f64_lossy(value: f64) -> Self {
        value as f32
    }

    fn tanh_slice(input: &[Self], output: &mut [Self]) {
        crate::fastmath::tanh_f32(input, output);
    }

    fn fft_planner() -> &'static Mutex<RealFftPlanner<Self>> {
        static PLANNER: OnceLock<Mutex<RealFftPlanner<f32>>> = OnceLock::new();
        PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new()))
    }
}

impl Element for f64 {
    const NAME: &'static str = "float64";

    fn from_f64_lossy(value: f64) -> Self {
        value
    }

    fn fft_planner() -> &'static Mutex<RealFftPlanner<Self>> {
        static PLANNER: OnceLock<Mutex<RealFftPlanner<f64>>> = OnceLock::new();
        PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new()))
    }
}
