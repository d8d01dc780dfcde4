//! Elementwise arithmetic with broadcasting, and elementwise functions.

use std::ops::{Add, Div, Mul, Neg, Sub};

use ndarray::{ArrayD, Zip};

use super::{broadcast_shape, sum_to_shape};
use crate::element::Element;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    // ------------------------------------------------------------------ binary

    /// `self + other` with broadcasting. d/da = 1, d/db = 1.
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    pub fn add(&self, other: &Tensor<T>) -> Tensor<T> {
        let value = {
            let (a, b) = (self.data(), other.data());
            broadcast_shape("add", a.shape(), b.shape());
            &*a + &*b
        };
        Tensor::from_op(
            "add",
            value,
            vec![self.clone(), other.clone()],
            Box::new(|grad, _output, inputs| {
                inputs
                    .iter()
                    .map(|input| input_grad_if_needed(input, || grad.clone()))
                    .collect()
            }),
        )
    }

    /// `self - other` with broadcasting. d/da = 1, d/db = -1.
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    pub fn sub(&self, other: &Tensor<T>) -> Tensor<T> {
        let value = {
            let (a, b) = (self.data(), other.data());
            broadcast_shape("sub", a.shape(), b.shape());
            &*a - &*b
        };
        Tensor::from_op(
            "sub",
            value,
            vec![self.clone(), other.clone()],
            Box::new(|grad, _output, inputs| {
                vec![
                    input_grad_if_needed(&inputs[0], || grad.clone()),
                    input_grad_if_needed(&inputs[1], || grad.mapv(|g| -g)),
                ]
            }),
        )
    }

    /// `self * other` with broadcasting. d/da = b, d/db = a.
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    pub fn mul(&self, other: &Tensor<T>) -> Tensor<T> {
        let value = {
            let (a, b) = (self.data(), other.data());
            broadcast_shape("mul", a.shape(), b.shape());
            &*a * &*b
        };
        Tensor::from_op(
            "mul",
            value,
            vec![self.clone(), other.clone()],
            Box::new(|grad, _output, inputs| {
                vec![
                    input_grad_if_needed(&inputs[0], || grad * &*inputs[1].data()),
                    input_grad_if_needed(&inputs[1], || grad * &*inputs[0].data()),
                ]
            }),
        )
    }

    /// `self / other` with broadcasting. d/da = 1/b, d/db = -a/b².
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    pub fn div(&self, other: &Tensor<T>) -> Tensor<T> {
        let value = {
            let (a, b) = (self.data(), other.data());
            broadcast_shape("div", a.shape(), b.shape());
            &*a / &*b
        };
        Tensor::from_op(
            "div",
            value,
            vec![self.clone(), other.clone()],
            Box::new(|grad, output, inputs| {
                let b = inputs[1].data();
                vec![
                    input_grad_if_needed(&inputs[0], || grad / &*b),
                    // d(a/b)/db = -(a/b)/b, and a/b is the output.
                    input_grad_if_needed(&inputs[1], || -(grad * output) / &*b),
                ]
            }),
        )
    }

    // ------------------------------------------------------------------ with a scalar

    /// `self + value`. d/dx = 1.
    pub fn add_scalar(&self, value: T) -> Tensor<T> {
        self.unary("add_scalar", move |x| x + value, |_x, _y| T::one())
    }

    /// `self * value`. d/dx = value.
    pub fn mul_scalar(&self, value: T) -> Tensor<T> {
        self.unary("mul_scalar", move |x| x * value, move |_x, _y| value)
    }

    // ------------------------------------------------------------------ unary

    /// `-self`. d/dx = -1.
    pub fn neg(&self) -> Tensor<T> {
        self.unary("neg", |x| -x, |_x, _y| -T::one())
    }

    /// `self` raised to a constant power. d/dx = p·x^(p-1).
    pub fn powf(&self, exponent: T) -> Tensor<T> {
        self.unary(
            "powf",
            move |x| x.powf(exponent),
            move |x, _y| exponent * x.powf(exponent - T::one()),
        )
    }

    /// Square root. d/dx = 1/(2·√x).
    pub fn sqrt(&self) -> Tensor<T> {
        self.unary("sqrt", |x| x.sqrt(), |_x, y| T::one() / (y + y))
    }

    /// e^x. d/dx = e^x.
    pub fn exp(&self) -> Tensor<T> {
        self.unary("exp", |x| x.exp(), |_x, y| y)
    }

    /// Natural logarithm. d/dx = 1/x.
    pub fn log(&self) -> Tensor<T> {
        self.unary("log", |x| x.ln(), |x, _y| T::one() / x)
    }

    /// Hyperbolic tangent. d/dx = 1 - tanh²(x). In `f32` the value comes
    /// from a vectorised approximation within 2e-7 of the exact one.
    pub fn tanh(&self) -> Tensor<T> {
        let value = {
            let x = self.data();
            let x = x.as_standard_layout();
            let mut y = vec![T::zero(); x.len()];
            T::tanh_slice(x.as_slice().expect("standard layout"), &mut y);
            ArrayD::from_shape_vec(x.raw_dim(), y).expect("input shape")
        };
        Tensor::from_op(
            "tanh",
            value,
            vec![self.clone()],
            Box::new(|grad, output, _inputs| {
                let mut input_grad = ArrayD::zeros(output.raw_dim());
                Zip::from(&mut input_grad)
                    .and(grad)
                    .and(output)
                    .for_each(|dx, &g, &y| *dx = g * (T::one() - y * y));
                vec![Some(input_grad)]
            }),
        )
    }

    /// Logistic sigmoid 1/(1 + e^-x). d/dx = σ(x)·(1 - σ(x)).
    pub fn sigmoid(&self) -> Tensor<T> {
        self.unary("sigmoid", sigmoid, |_x, y| y * (T::one() - y))
    }

    /// max(x, 0). d/dx = 1 for x > 0, else 0 (PyTorch's choice at 0).
    pub fn relu(&self) -> Tensor<T> {
        self.unary(
            "relu",
            |x| if x > T::zero() { x } else { T::zero() },
            |x, _y| if x > T::zero() { T::one() } else { T::zero() },
        )
    }

    /// GELU with the tanh approximation, `torch.nn.functional.gelu(x,
    /// approximate="tanh")`: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    pub fn gelu_tanh(&self) -> Tensor<T> {
        self.unary("gelu_tanh", gelu_tanh, gelu_tanh_derivative)
    }

    /// Applies `f` elementwise; the backward multiplies the upstream gradient
    /// by `df(x, y)`, the derivative written in terms of the input `x` and the
    /// output `y`.
    fn unary(
        &self,
        name: &'static str,
        f: impl Fn(T) -> T,
        df: impl Fn(T, T) -> T + Send + Sync + 'static,
    ) -> Tensor<T> {
        let value = self.data().mapv(f);
        Tensor::from_op(
            name,
            value,
            vec![self.clone()],
            Box::new(move |grad, output, inputs| {
                let x = inputs[0].data();
                let mut input_grad = ArrayD::zeros(x.raw_dim());
                Zip::from(&mut input_grad)
                    .and(grad)
                    .and(&*x)
                    .and(output)
                    .for_each(|dx, &g, &x, &y| {
                        *dx = g * df(x, y);
                    });
                vec![Some(input_grad)]
            }),
        )
    }
}

/// Computes an input's gradient only when the input requires one, and sums it
/// back to the input's shape when the op broadcast it.
fn input_grad_if_needed<T: Element>(input: &Tensor<T>, gradient: impl FnOnce() -> ArrayD<T>) -> Option<ArrayD<T>> {
    if !input.requires_grad() {
        return None;
    }
    let shape = input.data().shape().to_vec();
    Some(sum_to_shape(gradient(), &shape))
}

fn sigmoid<T: Element>(x: T) -> T {
    // Both branches avoid exp of a large positive number.
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

fn gelu_tanh<T: Element>(x: T) -> T {
    let half = T::from_f64_lossy(0.5);
    let (c, k) = gelu_constants::<T>();
    half * x * (T::one() + (c * (x + k * x * x * x)).tanh())
}

fn gelu_tanh_derivative<T: Element>(x: T, _y: T) -> T {
    let half = T::from_f64_lossy(0.5);
    let three = T::from_f64_lossy(3.0);
    let (c, k) = gelu_constants::<T>();
    let t = (c * (x + k * x * x * x)).tanh();
    half * (T::one() + t) + half * x * (T::one() - t * t) * c * (T::one() + three * k * x * x)
}

fn gelu_constants<T: Element>() -> (T, T) {
    (
        T::from_f64_lossy((2.0 / std::f64::consts::PI).sqrt()),
        T::from_f64_lossy(0.044715),
    )
}

// ---------------------------------------------------------------------- operators

macro_rules! binary_operator {
    ($trait:ident, $method:ident) => {
        impl<T: Element> $trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, other: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, other)
            }
        }
        impl<T: Element> $trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, other: Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, &other)
            }
        }
        impl<T: Element> $trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, other: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, other)
            }
        }
        impl<T: Element> $trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, other: Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, &other)
            }
        }
    };
}

binary_operator!(Add, add);
binary_operator!(Sub, sub);
binary_operator!(Mul, mul);
binary_operator!(Div, div);

macro_rules! scalar_operators {
    ($($scalar:ty),*) => {$(
        impl Add<$scalar> for &Tensor<$scalar> {
            type Output = Tensor<$scalar>;
            fn add(self, value: $scalar) -> Tensor<$scalar> { self.add_scalar(value) }
        }
        impl Sub<$scalar> for &Tensor<$scalar> {
            type Output = Tensor<$scalar>;
            fn sub(self, value: $scalar) -> Tensor<$scalar> { self.add_scalar(-value) }
        }
        impl Mul<$scalar> for &Tensor<$scalar> {
            type Output = Tensor<$scalar>;
            fn mul(self, value: $scalar) -> Tensor<$scalar> { self.mul_scalar(value) }
        }
        impl Div<$scalar> for &Tensor<$scalar> {
            type Output = Tensor<$scalar>;
            fn div(self, value: $scalar) -> Tensor<$scalar> { self.mul_scalar(1.0 / value) }
        }
        impl Add<&Tensor<$scalar>> for $scalar {
            type Output = Tensor<$scalar>;
            fn add(self, tensor: &Tensor<$scalar>) -> Tensor<$scalar> { tensor.add_scalar(self) }
        }
        impl Sub<&Tensor<$scalar>> for $scalar {
            type Output = Tensor<$scalar>;
            fn sub(self, tensor: &Tensor<$scalar>) -> Tensor<$scalar> { tensor.neg().add_scalar(self) }
        }
        impl Mul<&Tensor<$scalar>> for $scalar {
            type Output = Tensor<$scalar>;
            fn mul(self, tensor: &Tensor<$scalar>) -> Tensor<$scalar> { tensor.mul_scalar(self) }
        }
    )*};
}

scalar_operators!(f32, f64);

impl<T: Element> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

impl<T: Element> Neg for Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(&self)
    }
}
