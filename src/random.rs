//! The per-thread random generator behind parameter initialisation and the
//! random constructors, seeded with [`manual_seed`].

use std::cell::RefCell;

use ndarray::{ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::element::Element;

/// The seed each thread's generator starts from until [`manual_seed`] is
/// called, so that two runs of the same program draw the same numbers.
pub const DEFAULT_SEED: u64 = 0x5eed_c0de;

thread_local! {
    static GENERATOR: RefCell<StdRng> = RefCell::new(StdRng::seed_from_u64(DEFAULT_SEED));
}

/// Reseeds this thread's generator, as `torch.manual_seed` does.
///
/// Parameter initialisation ([`nn`](crate::nn) constructors), [`Tensor::randn`](crate::Tensor::randn)
/// and [`Tensor::rand`](crate::Tensor::rand) draw from it. The numbers differ
/// from PyTorch's for the same seed: only reproducibility within convgrad is
/// promised.
pub fn manual_seed(seed: u64) {
    GENERATOR.with(|generator| *generator.borrow_mut() = StdRng::seed_from_u64(seed));
}

/// Runs `f` with this thread's generator, for callers that draw their own
/// numbers in step with parameter initialisation.
pub fn with_generator<R>(f: impl FnOnce(&mut StdRng) -> R) -> R {
    GENERATOR.with(|generator| f(&mut generator.borrow_mut()))
}

pub(crate) fn normal_array<T: Element>(shape: &[usize], mean: f64, std: f64) -> ArrayD<T> {
    with_generator(|rng| {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || {
            let z: f64 = StandardNormal.sample(rng);
            T::from_f64_lossy(mean + std * z)
        })
    })
}

pub(crate) fn uniform_array<T: Element>(shape: &[usize], low: f64, high: f64) -> ArrayD<T> {
    with_generator(|rng| {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || {
            let u: f64 = rng.random();
            T::from_f64_lossy(low + (high - low) * u)
        })
    })
}
