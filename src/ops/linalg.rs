//! Matrix products: [`Tensor::matmul`] and the fused [`linear`] layer op.

use ndarray::{Array2, ArrayD, ArrayView2, Axis, Ix2, Ix3};

use crate::element::Element;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// The matrix product, for a 2-D or batched 3-D left operand:
    ///
    /// - `(M, K) @ (K, N) -> (M, N)`
    /// - `(B, M, K) @ (K, N) -> (B, M, N)` (the right matrix is shared)
    /// - `(B, M, K) @ (B, K, N) -> (B, M, N)`
    ///
    /// For C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC (summed over the batch when B is
    /// shared).
    ///
    /// # Panics
    /// If the ranks are not one of the combinations above, the inner
    /// dimensions differ, or the batch sizes differ.
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        let value = {
            let (a, b) = (self.data(), other.data());
            check_matmul(a.shape(), b.shape());
            matmul_arrays(&a, &b, Transpose::No, Transpose::No)
        };
        Tensor::from_op(
            "matmul",
            value,
            vec![self.clone(), other.clone()],
            Box::new(|grad, _output, inputs| {
                let (a, b) = (inputs[0].data(), inputs[1].data());
                let grad_a = inputs[0]
                    .requires_grad()
                    .then(|| matmul_arrays(grad, &b, Transpose::No, Transpose::Yes));
                let grad_b = inputs[1].requires_grad().then(|| {
                    if a.ndim() == 3 && b.ndim() == 2 {
                        // The shared right matrix collects the gradient of every batch.
                        let a2 = flatten_batch(&a);
                        let g2 = flatten_batch(grad);
                        a2.t().dot(&g2).into_dyn()
                    } else {
                        matmul_arrays(&a, grad, Transpose::Yes, Transpose::No)
                    }
                });
                vec![grad_a, grad_b]
            }),
        )
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Transpose {
    No,
    Yes,
}

#[track_caller]
fn check_matmul(a: &[usize], b: &[usize]) {
    let inner_ok = match (a.len(), b.len()) {
        (2, 2) | (3, 2) | (3, 3) => a[a.len() - 1] == b[b.len() - 2],
        _ => crate::fail(
            "matmul",
            format!("unsupported ranks: {a:?} @ {b:?}; supported are (M, K) @ (K, N), (B, M, K) @ (K, N) and (B, M, K) @ (B, K, N)"),
        ),
    };
    if !inner_ok {
        crate::fail(
            "matmul",
            format!(
                "inner dimensions differ: {a:?} @ {b:?} needs {} == {}",
                a[a.len() - 1],
                b[b.len() - 2]
            ),
        );
    }
    if a.len() == 3 && b.len() == 3 && a[0] != b[0] {
        crate::fail(
            "matmul",
            format!("batch sizes differ: {a:?} @ {b:?} needs {} == {}", a[0], b[0]),
        );
    }
}

/// Multiplies `op(a)·op(b)`, where `op` transposes the last two dimensions
/// when asked. Ranks follow [`Tensor::matmul`]; with `(B, M, K)` and a 2-D
/// right operand the batch is folded into the rows.
fn matmul_arrays<T: Element>(a: &ArrayD<T>, b: &ArrayD<T>, ta: Transpose, tb: Transpose) -> ArrayD<T> {
    fn view2<T: Element>(x: &ArrayD<T>, t: Transpose) -> ArrayView2<'_, T> {
        oriented(x.view().into_dimensionality::<Ix2>().expect("rank 2"), t)
    }
    match (a.ndim(), b.ndim()) {
        (2, 2) => view2(a, ta).dot(&view2(b, tb)).into_dyn(),
        (3, 2) => {
            debug_assert!(ta == Transpose::No, "a batched left operand is never transposed here");
            let (batch, rows) = (a.shape()[0], a.shape()[1]);
            let product = flatten_batch(a).dot(&view2(b, tb));
            let columns = product.ncols();
            // `dot` returns a column-major product when both factors have a
            // row stride of 1 (here: N = 1 in the backward pass), so reshape
            // through a copy when needed.
            super::reshaped(product.into_dyn(), &[batch, rows, columns])
        }
        (3, 3) => {
            let a3 = a.view().into_dimensionality::<Ix3>().expect("rank 3");
            let b3 = b.view().into_dimensionality::<Ix3>().expect("rank 3");
            let products: Vec<Array2<T>> = a3
                .outer_iter()
                .zip(b3.outer_iter())
                .map(|(ma, mb)| oriented(ma, ta).dot(&oriented(mb, tb)))
                .collect();
            let views: Vec<_> = products.iter().map(|p| p.view()).collect();
            ndarray::stack(Axis(0), &views).expect("equal shapes").into_dyn()
        }
        _ => unreachable!("ranks checked by check_matmul"),
    }
}

fn oriented<T>(matrix: ArrayView2<'_, T>, t: Transpose) -> ArrayView2<'_, T> {
    match t {
        Transpose::No => matrix,
        Transpose::Yes => matrix.reversed_axes(),
    }
}

/// Views `(B, M, K)` as `(B·M, K)`, copying only if the array is not
/// row-major.
fn flatten_batch<T: Element>(x: &ArrayD<T>) -> Array2<T> {
    let columns = *x.shape().last().expect("at least one dimension");
    let rows = x.len() / columns.max(1);
    x.as_standard_layout()
        .into_owned()
        .into_shape_with_order((rows, columns))
        .expect("row-major")
}

/// `torch.nn.functional.linear`: y = x·Wᵀ + b, applied to the last dimension.
///
/// # Shapes
/// - `input`: `(*, in_features)`, any number of leading dimensions
/// - `weight`: `(out_features, in_features)`
/// - `bias`: `(out_features)`
/// - output: `(*, out_features)`
///
/// Derivatives, with x and dy flattened to rows: dx = dy·W, dW = dyᵀ·x,
/// db = Σ_rows dy.
///
/// # Panics
/// If `input`'s last dimension differs from `in_features`, `weight` is not
/// 2-D, or `bias` does not have `out_features` elements.
pub fn linear<T: Element>(input: &Tensor<T>, weight: &Tensor<T>, bias: Option<&Tensor<T>>) -> Tensor<T> {
    let value = {
        let (x, w) = (input.data(), weight.data());
        let (out_features, in_features) = match w.shape() {
            &[out_features, in_features] => (out_features, in_features),
            other => crate::fail(
                "linear",
                format!("weight must be 2-D (out_features, in_features), got shape {other:?}"),
            ),
        };
        if x.ndim() == 0 || x.shape()[x.ndim() - 1] != in_features {
            crate::fail(
                "linear",
                format!(
                    "input shape {:?} must end in in_features = {in_features} (weight shape {:?})",
                    x.shape(),
                    w.shape()
                ),
            );
        }
        let mut out_shape = x.shape().to_vec();
        *out_shape.last_mut().expect("checked non-empty") = out_features;

        let rows = flatten_rows(&x);
        let w2 = w.view().into_dimensionality::<Ix2>().expect("checked 2-D");
        let mut y = rows.dot(&w2.t());
        if let Some(bias) = bias {
            let b = bias.data();
            if b.shape() != [out_features] {
                crate::fail(
                    "linear",
                    format!("bias shape {:?} must be [{out_features}] (out_features)", b.shape()),
                );
            }
            y += &b.view().into_dimensionality::<ndarray::Ix1>().expect("checked 1-D");
        }
        // `dot` returns a column-major product when both factors have a row
        // stride of 1 (here: in_features = 1), so reshape through a copy when
        // needed.
        super::reshaped(y.into_dyn(), &out_shape)
    };

    let mut inputs = vec![input.clone(), weight.clone()];
    inputs.extend(bias.cloned());
    Tensor::from_op(
        "linear",
        value,
        inputs,
        Box::new(|grad, _output, inputs| {
            let (x, w) = (inputs[0].data(), inputs[1].data());
            let g = flatten_rows(grad);
            let w2 = w.view().into_dimensionality::<Ix2>().expect("2-D weight");
            let grad_x = inputs[0]
                .requires_grad()
                .then(|| super::reshaped(g.dot(&w2).into_dyn(), x.shape()));
            let grad_w = inputs[1]
                .requires_grad()
                .then(|| g.t().dot(&flatten_rows(&x)).into_dyn());
            let mut grads = vec![grad_x, grad_w];
            if let Some(bias) = inputs.get(2) {
                grads.push(bias.requires_grad().then(|| g.sum_axis(Axis(0)).into_dyn()));
            }
            grads
        }),
    )
}

/// Views `(*, F)` as `(rows, F)`.
fn flatten_rows<T: Element>(x: &ArrayD<T>) -> Array2<T> {
    let features = *x.shape().last().expect("at least one dimension");
    let rows = x.shape()[..x.ndim() - 1].iter().product();
    x.as_standard_layout()
        .into_owned()
        .into_shape_with_order((rows, features))
        .expect("row-major")
}
