//! Optimizers that update parameters in place from their accumulated
//! gradients.

use ndarray::{ArrayD, Zip};

use crate::element::Element;
use crate::tensor::Tensor;

/// Settings of [`Sgd`], named and defaulted as `torch.optim.SGD`'s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate. Default: 0.01 (PyTorch requires it; 0.01 is a common
    /// start). [`Sgd::set_lr`] changes it between steps.
    pub lr: f64,
    /// Momentum factor μ. Default: 0.
    pub momentum: f64,
    /// Dampening τ of the momentum update. Default: 0.
    pub dampening: f64,
    /// L2 penalty λ added to the gradient as λ·p. Default: 0.
    pub weight_decay: f64,
    /// Nesterov momentum. Default: false.
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 0.01,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

/// Stochastic gradient descent, with the update rule of `torch.optim.SGD`:
///
/// g ← ∇p + λ·p; with momentum, b ← μ·b + (1 - τ)·g (b = g on the first
/// step) and g ← g + μ·b (Nesterov) or g ← b; finally p ← p - lr·g.
///
/// ```
/// use convgrad::optim::{Sgd, SgdConfig};
/// use convgrad::Tensor;
///
/// let p = Tensor::<f32>::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut sgd = Sgd::new(vec![p.clone()], SgdConfig { lr: 0.1, ..SgdConfig::default() });
/// (&p * &p).sum_all().backward(); // d(p²)/dp = 2
/// sgd.step();
/// assert!((p.item() - 0.8).abs() < 1e-6);
/// ```
pub struct Sgd<T: Element = f32> {
    params: Vec<Tensor<T>>,
    config: SgdConfig,
    momentum_buffers: Vec<Option<ArrayD<T>>>,
}

impl<T: Element> Sgd<T> {
    /// Creates the optimizer for `params`.
    ///
    /// # Panics
    /// If `lr`, `momentum` or `weight_decay` is negative or not finite, or
    /// `nesterov` is set without a positive momentum and zero dampening (the
    /// same rules PyTorch enforces).
    pub fn new(params: Vec<Tensor<T>>, config: SgdConfig) -> Self {
        for (name, value) in [
            ("lr", config.lr),
            ("momentum", config.momentum),
            ("weight_decay", config.weight_decay),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                crate::fail("Sgd::new", format!("{name} must be a finite value >= 0, got {value}"));
            }
        }
        if config.nesterov && (config.momentum <= 0.0 || config.dampening != 0.0) {
            crate::fail(
                "Sgd::new",
                format!(
                    "nesterov needs momentum > 0 and dampening = 0, got momentum {} and dampening {}",
                    config.momentum, config.dampening
                ),
            );
        }
        let momentum_buffers = vec![None; params.len()];
        Sgd {
            params,
            config,
            momentum_buffers,
        }
    }

    /// The current learning rate.
    pub fn lr(&self) -> f64 {
        self.config.lr
    }

    /// Sets the learning rate for the following steps.
    ///
    /// # Panics
    /// If `lr` is negative or not finite.
    pub fn set_lr(&mut self, lr: f64) {
        if !(lr >= 0.0 && lr.is_finite()) {
            crate::fail("Sgd::set_lr", format!("lr must be a finite value >= 0, got {lr}"));
        }
        self.config.lr = lr;
    }

    /// Clears the gradient of every parameter.
    pub fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }

    /// Updates every parameter that has a gradient; parameters without one
    /// are left unchanged, as in PyTorch.
    pub fn step(&mut self) {
        let lr = T::from_f64_lossy(self.config.lr);
        let momentum = T::from_f64_lossy(self.config.momentum);
        let dampening = T::from_f64_lossy(self.config.dampening);
        let weight_decay = T::from_f64_lossy(self.config.weight_decay);
        let plain = self.config.momentum == 0.0 && self.config.weight_decay == 0.0;

        for (param, buffer) in self.params.iter().zip(self.momentum_buffers.iter_mut()) {
            let Some(mut grad) = param.grad() else { continue };
            let mut value = param.data_mut();
            if plain {
                Zip::from(&mut *value).and(&grad).for_each(|p, &g| *p -= lr * g);
                continue;
            }
            if self.config.weight_decay != 0.0 {
                Zip::from(&mut grad)
                    .and(&*value)
                    .for_each(|g, &p| *g += weight_decay * p);
            }
            if self.config.momentum != 0.0 {
                let b = match buffer {
                    Some(b) => {
                        Zip::from(&mut *b)
                            .and(&grad)
                            .for_each(|b, &g| *b = momentum * *b + (T::one() - dampening) * g);
                        b
                    }
                    None => buffer.insert(grad.clone()),
                };
                if self.config.nesterov {
                    Zip::from(&mut grad).and(&*b).for_each(|g, &b| *g += momentum * b);
                } else {
                    grad.assign(b);
                }
            }
            Zip::from(&mut *value).and(&grad).for_each(|p, &g| *p -= lr * g);
        }
    }
}
