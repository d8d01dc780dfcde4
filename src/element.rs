//! The floating-point element types a [`Tensor`](crate::Tensor) can hold.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, FromPrimitive, ToPrimitive};

/// A floating-point scalar that tensors store: `f32` for training, `f64` for
/// gradient checks and reference comparisons.
///
/// The trait is sealed in spirit: only `f32` and `f64` implement it, and the
/// crate's numeric tolerances are chosen for those two.
pub trait Element:
    Float
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
    + Send
    + Sync
    + 'static
{
    /// The type's name as PyTorch spells the dtype (`"float32"`, `"float64"`).
    const NAME: &'static str;

    /// Converts an `f64` constant to this type, rounding to nearest for `f32`.
    fn from_f64_lossy(value: f64) -> Self;
}

impl Element for f32 {
    const NAME: &'static str = "float32";

    fn from_f64_lossy(value: f64) -> Self {
        value as f32
    }
}

impl Element for f64 {
    const NAME: &'static str = "float64";

    fn from_f64_lossy(value: f64) -> Self {
        value
    }
}
