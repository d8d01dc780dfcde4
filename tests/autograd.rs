//! Tests of the graph walk, gradient accumulation, `no_grad`, `detach`, and
//! the panic messages of ops called with invalid shapes or arguments.
//!
//! Expected gradients are derived by hand in the comments next to each check.

use std::panic::{catch_unwind, AssertUnwindSafe};

use convgrad::ops::{self, BatchNormOptions, CrossEntropyOptions, Reduction};
use convgrad::{is_grad_enabled, no_grad, Element, NoGradGuard, Tensor};
use ndarray::{array, ArrayD, IxDyn};

/// Ops in the long chains below: deep enough that a recursive backward or
/// drop would overflow the small stack of the thread that runs them.
const CHAIN_LENGTH: usize = 100_000;

/// Stack size of the threads that walk or drop the long chains.
const SMALL_STACK: usize = 256 * 1024;

#[track_caller]
fn assert_close(actual: &[f64], expected: &[f64], quantity: &str) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{quantity}: lengths differ: {actual:?} vs {expected:?}"
    );
    for (index, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= 1e-9 * e.abs().max(1.0),
            "{quantity}[{index}]: got {a}, expected {e}"
        );
    }
}

fn grad_of(tensor: &Tensor<f64>) -> Vec<f64> {
    tensor
        .grad()
        .expect("the tensor has no gradient")
        .iter()
        .copied()
        .collect()
}

/// Runs `f` on a thread with a [`SMALL_STACK`] and returns its result.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> std::thread::Result<R> {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("failed to spawn the small-stack thread")
        .join()
}

/// Runs `f`, which must panic, and returns the panic message.
fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    let payload = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(payload) => payload,
    };
    if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else {
        String::from("<a panic without a message>")
    }
}

// ---------------------------------------------------------------------- deep graphs

#[test]
fn deep_chain_backward_small_stack() {
    let result = on_small_stack(|| {
        let x = Tensor::<f64>::from_vec(vec![1.0, -2.0], &[2]).requires_grad_(true);
        let mut y = x.clone();
        for _ in 0..CHAIN_LENGTH {
            y = y.mul_scalar(1.00001);
        }
        y.sum_all().backward();
        (y.to_vec(), grad_of(&x))
    });
    let (value, grad) = result.expect("the thread panicked");

    // y = x · 1.00001^n, so dy/dx = 1.00001^n for each element.
    let factor = 1.00001f64.powi(CHAIN_LENGTH as i32);
    assert_close(&value, &[factor, -2.0 * factor], "chain value");
    assert_close(&grad, &[factor, factor], "chain gradient");
}

#[test]
fn deep_chain_drop_small_stack() {
    let result = on_small_stack(|| {
        let x = Tensor::<f64>::from_vec(vec![0.0, 1.0], &[2]).requires_grad_(true);
        let mut y = x.clone();
        for _ in 0..CHAIN_LENGTH {
            y = y.add_scalar(1.0);
        }
        let last = y.to_vec();
        drop(y);
        last
    });

    // A recursive drop would abort the process with a stack overflow
    // before this point.
    let last = result.expect("the thread panicked");
    assert_close(&last, &[CHAIN_LENGTH as f64, CHAIN_LENGTH as f64 + 1.0], "chain value");
}

// ---------------------------------------------------------------------- accumulation

#[test]
fn fan_out_sums_gradients() {
    let x = Tensor::<f64>::from_vec(vec![0.5, -1.0, 2.0], &[3]).requires_grad_(true);
    let tripled = x.mul_scalar(3.0);
    let exponential = x.exp();
    let shifted = x.add_scalar(4.0);
    let loss = (&(&tripled + &exponential) * &shifted).sum_all();

    loss.backward();

    // loss = Σ (3x + eˣ)(x + 4), so dloss/dx = (3 + eˣ)(x + 4) + (3x + eˣ).
    let expected: Vec<f64> = [0.5f64, -1.0, 2.0]
        .iter()
        .map(|&v| (3.0 + v.exp()) * (v + 4.0) + 3.0 * v + v.exp())
        .collect();
    assert_close(&grad_of(&x), &expected, "x.grad");
}

#[test]
fn same_tensor_twice_in_op() {
    let x = Tensor::<f64>::from_vec(vec![1.5, -2.0, 0.25], &[3]).requires_grad_(true);

    (&x * &x).sum_all().backward();
    // d(x²)/dx = 2x.
    assert_close(&grad_of(&x), &[3.0, -4.0, 0.5], "grad of x * x");

    x.zero_grad();
    (&x + &x).sum_all().backward();
    // d(2x)/dx = 2.
    assert_close(&grad_of(&x), &[2.0, 2.0, 2.0], "grad of x + x");
}

#[test]
fn broadcast_gradient_summed_back() {
    let a = Tensor::<f64>::from_array(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad_(true);
    let b = Tensor::<f64>::from_vec(vec![10.0, 20.0, 30.0], &[3]).requires_grad_(true);
    let s = Tensor::<f64>::scalar(0.5).requires_grad_(true);

    (&(&a * &b) * &s).sum_all().backward();

    // loss = s · Σᵢⱼ aᵢⱼ bⱼ: da = s·b per row, db = s·Σᵢ aᵢⱼ, ds = Σᵢⱼ aᵢⱼ bⱼ.
    assert_close(&grad_of(&a), &[5.0, 10.0, 15.0, 5.0, 10.0, 15.0], "a.grad");
    assert_close(&grad_of(&b), &[2.5, 3.5, 4.5], "b.grad");
    assert_close(&grad_of(&s), &[10.0 + 40.0 + 90.0 + 40.0 + 100.0 + 180.0], "s.grad");
    assert_eq!(b.grad().unwrap().shape(), &[3], "b.grad keeps b's shape");
    assert_eq!(s.grad().unwrap().shape(), &[] as &[usize], "s.grad keeps s's shape");
}

#[test]
fn broadcast_column_and_row() {
    let column = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]).requires_grad_(true);
    let row = Tensor::<f64>::from_vec(vec![1.0, -1.0, 2.0, 0.5], &[1, 4]).requires_grad_(true);
    let weights = Tensor::<f64>::from_array(array![[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0], [2.0, 2.0, 2.0, 2.0]]);

    (&(&column - &row) * &weights).sum_all().backward();

    // loss = Σᵢⱼ (cᵢ - rⱼ) wᵢⱼ: dc = row sums of w, dr = -(column sums of w).
    assert_close(&grad_of(&column), &[10.0, 2.0, 8.0], "column.grad");
    assert_close(&grad_of(&row), &[-3.0, -5.0, -5.0, -7.0], "row.grad");
}

#[test]
fn gradients_accumulate_until_zeroed() {
    let x = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let loss = x.mul_scalar(3.0).sum_all();

    loss.backward();
    loss.backward();
    // Each pass adds d(3x)/dx = 3.
    assert_close(&grad_of(&x), &[6.0, 6.0], "grad after two passes");

    x.zero_grad();
    assert!(x.grad().is_none(), "zero_grad should clear the gradient");

    loss.backward();
    assert_close(&grad_of(&x), &[3.0, 3.0], "grad after zero_grad and one pass");
}

// ---------------------------------------------------------------------- no_grad

#[test]
fn no_grad_records_nothing() {
    let w = Tensor::<f64>::ones(&[2]).requires_grad_(true);

    let (y, enabled_inside) = no_grad(|| (&w * 3.0, is_grad_enabled()));

    assert!(!enabled_inside, "recording should be off inside no_grad");
    assert!(
        !y.requires_grad(),
        "a result computed under no_grad should not require grad"
    );
    assert!(y.is_leaf(), "a result computed under no_grad should be a leaf");
    assert_eq!(y.op_name(), None);
    assert!(is_grad_enabled(), "recording should be on again after no_grad");
}

#[test]
fn no_grad_restored_after_panic() {
    let outcome = catch_unwind(|| no_grad(|| panic!("deliberate panic inside no_grad")));

    assert!(outcome.is_err(), "the closure should have panicked");
    assert!(
        is_grad_enabled(),
        "recording should be on again after a panic inside no_grad"
    );
}

#[test]
fn no_grad_guard_nests() {
    let w = Tensor::<f64>::ones(&[2]).requires_grad_(true);
    {
        let _outer = NoGradGuard::new();
        {
            let _inner = NoGradGuard::new();
            assert!(!is_grad_enabled(), "recording should be off under two guards");
        }
        assert!(!is_grad_enabled(), "dropping the inner guard should keep recording off");
        assert!(
            !(&w * 2.0).requires_grad(),
            "a result under a guard should not require grad"
        );
    }

    assert!(is_grad_enabled(), "dropping the outer guard should turn recording on");
    assert_eq!((&w * 2.0).op_name(), Some("mul_scalar"));
}

// ---------------------------------------------------------------------- misuse of backward

#[test]
#[should_panic(expected = "Tensor::backward: called on a tensor of shape [2]")]
fn backward_on_non_scalar() {
    let x = Tensor::<f64>::ones(&[2]).requires_grad_(true);
    x.mul_scalar(2.0).backward();
}

#[test]
#[should_panic(expected = "Tensor::backward: the tensor does not require a gradient")]
fn backward_without_requires_grad() {
    Tensor::<f64>::ones(&[2]).sum_all().backward();
}

#[test]
#[should_panic(expected = "Tensor::requires_grad_: the tensor is the output of `mul_scalar`")]
fn requires_grad_on_non_leaf() {
    let x = Tensor::<f64>::ones(&[2]).requires_grad_(true);
    let _ = x.mul_scalar(2.0).requires_grad_(false);
}

// ---------------------------------------------------------------------- op argument panics

#[test]
fn broadcast_mismatch_panics() {
    let a = Tensor::<f64>::zeros(&[2, 3]);
    let b = Tensor::<f64>::zeros(&[4]);

    let message = panic_message(|| &a + &b);

    assert!(
        message.starts_with("add: shapes [2, 3] and [4] cannot be broadcast"),
        "unexpected message: {message}"
    );
}

#[test]
fn div_broadcast_mismatch_panics() {
    let a = Tensor::<f64>::zeros(&[3, 2]);
    let b = Tensor::<f64>::ones(&[3, 1, 3]);

    let message = panic_message(|| &a / &b);

    assert!(
        message.starts_with("div: shapes [3, 2] and [3, 1, 3] cannot be broadcast"),
        "unexpected message: {message}"
    );
}

#[test]
#[should_panic(expected = "matmul: inner dimensions differ: [2, 3] @ [4, 5] needs 3 == 4")]
fn matmul_inner_mismatch() {
    Tensor::<f64>::zeros(&[2, 3]).matmul(&Tensor::zeros(&[4, 5]));
}

#[test]
#[should_panic(expected = "matmul: unsupported ranks: [3] @ [3, 2]")]
fn matmul_unsupported_ranks() {
    Tensor::<f64>::zeros(&[3]).matmul(&Tensor::zeros(&[3, 2]));
}

#[test]
#[should_panic(expected = "matmul: batch sizes differ: [2, 3, 4] @ [3, 4, 5] needs 2 == 3")]
fn matmul_batch_mismatch() {
    Tensor::<f64>::zeros(&[2, 3, 4]).matmul(&Tensor::zeros(&[3, 4, 5]));
}

#[test]
#[should_panic(expected = "reshape: shape [2, 3] (6 elements) cannot become [4] (4 elements)")]
fn reshape_count_mismatch() {
    Tensor::<f64>::zeros(&[2, 3]).reshape(&[4]);
}

#[test]
#[should_panic(expected = "permute: [0, 0] names dimension 0 twice")]
fn permute_repeated_dim() {
    Tensor::<f64>::zeros(&[2, 3]).permute(&[0, 0]);
}

#[test]
#[should_panic(expected = "permute: [0] has 1 entries for a tensor of shape [2, 3]")]
fn permute_wrong_length() {
    Tensor::<f64>::zeros(&[2, 3]).permute(&[0]);
}

#[test]
#[should_panic(expected = "sum: dimension 2 is out of range for a tensor with 2 dimensions (valid: -2 to 1)")]
fn sum_dim_out_of_range() {
    Tensor::<f64>::zeros(&[2, 3]).sum(&[2], false);
}

#[test]
#[should_panic(expected = "softmax: dimension -3 is out of range for a tensor with 2 dimensions")]
fn softmax_dim_out_of_range() {
    ops::softmax(&Tensor::<f64>::zeros(&[2, 3]), -3);
}

#[test]
#[should_panic(expected = "embedding: index 5 at flat position 1 is out of range for 5 embeddings")]
fn embedding_index_out_of_range() {
    ops::embedding(&array![1usize, 5, 0], &Tensor::<f64>::zeros(&[5, 3]), None);
}

#[test]
#[should_panic(expected = "cross_entropy: target 5 at flat position 1 is out of range for 5 classes")]
fn cross_entropy_target_out_of_range() {
    ops::cross_entropy(
        &Tensor::<f64>::zeros(&[2, 5]),
        &array![0usize, 5],
        CrossEntropyOptions::default(),
    );
}

#[test]
#[should_panic(expected = "cross_entropy: logits of shape [2, 5] need targets of shape [2], got [3]")]
fn cross_entropy_target_shape_mismatch() {
    ops::cross_entropy(
        &Tensor::<f64>::zeros(&[2, 5]),
        &array![0usize, 1, 2],
        CrossEntropyOptions::default(),
    );
}

#[test]
#[should_panic(expected = "batch_norm: expected more than 1 value per channel when training, got input shape [1, 3]")]
fn batch_norm_single_value_training() {
    let options = BatchNormOptions {
        training: true,
        ..BatchNormOptions::default()
    };
    ops::batch_norm(&Tensor::<f64>::zeros(&[1, 3]), None, None, None, None, options);
}

#[test]
#[should_panic(expected = "batch_norm: evaluation (training = false) needs running_mean and running_var")]
fn batch_norm_eval_without_stats() {
    ops::batch_norm(
        &Tensor::<f64>::zeros(&[4, 3]),
        None,
        None,
        None,
        None,
        BatchNormOptions::default(),
    );
}

#[test]
#[should_panic(expected = "linear: input shape [2, 3] must end in in_features = 4 (weight shape [5, 4])")]
fn linear_in_features_mismatch() {
    ops::linear(&Tensor::<f64>::zeros(&[2, 3]), &Tensor::zeros(&[5, 4]), None);
}

// ---------------------------------------------------------------------- detach and item

#[test]
fn detach_shares_storage() {
    let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad_(true);
    let detached = x.detach();

    detached.data_mut()[[0]] = 10.0;

    assert_eq!(
        x.to_vec(),
        vec![10.0, 2.0, 3.0],
        "a write through the detached tensor should reach x"
    );
    assert!(!detached.requires_grad(), "a detached tensor should not require grad");
    assert!(detached.is_leaf(), "a detached tensor should be a leaf");
}

#[test]
fn detach_cuts_the_graph() {
    let x = Tensor::<f64>::from_vec(vec![1.0, -3.0], &[2]).requires_grad_(true);
    let doubled = x.mul_scalar(2.0).detach();

    (&doubled * &x).sum_all().backward();

    // With the 2x factor treated as a constant, d(2x · x)/dx = 2x. Through
    // the graph it would be 4x.
    assert_close(&grad_of(&x), &[2.0, -6.0], "x.grad");
    assert!(doubled.grad().is_none(), "the detached tensor should get no gradient");
}

#[test]
#[should_panic(expected = "Tensor::item: a tensor of shape [2] has 2 elements, expected exactly 1")]
fn item_on_non_scalar() {
    Tensor::<f64>::zeros(&[2]).item();
}

// ---------------------------------------------------------------------- large logits

/// Computes the cross-entropy of logits [1e4, 0, -1e4] with targets 0 and 1,
/// one loss per row. Returns the losses and the logits' gradient for an upstream
/// gradient of ones, converted to f64.
fn huge_logit_cross_entropy<T: Element>() -> (Vec<f64>, Vec<f64>) {
    let values: Vec<T> = [1e4, 0.0, -1e4, 1e4, 0.0, -1e4]
        .iter()
        .map(|&v| T::from_f64_lossy(v))
        .collect();
    let logits = Tensor::<T>::from_vec(values, &[2, 3]).requires_grad_(true);
    let options = CrossEntropyOptions {
        reduction: Reduction::None,
        ignore_index: None,
    };

    let losses = ops::cross_entropy(&logits, &array![0usize, 1], options);
    losses.backward_with_grad(ArrayD::ones(IxDyn(&[2])));

    let to_f64 = |v: &T| v.to_f64().expect("a float converts to f64");
    let loss_values = losses.to_vec().iter().map(to_f64).collect();
    let grad_values = logits
        .grad()
        .expect("logits have a gradient")
        .iter()
        .map(to_f64)
        .collect();
    (loss_values, grad_values)
}

/// The expected values: loss = log Σ exp(x) - x_target, where log Σ exp(x)
/// is 1e4 up to e^-1e4. The gradient is softmax(x) - onehot(target), and
/// softmax(x) is [1, 0, 0] to the same precision.
const HUGE_LOGIT_LOSSES: [f64; 2] = [0.0, 1e4];
const HUGE_LOGIT_GRAD: [f64; 6] = [0.0, 0.0, 0.0, 1.0, -1.0, 0.0];

#[test]
fn cross_entropy_huge_logits_f64() {
    let (losses, grad) = huge_logit_cross_entropy::<f64>();

    assert!(
        losses.iter().all(|v| v.is_finite()),
        "losses should be finite: {losses:?}"
    );
    assert!(
        grad.iter().all(|v| v.is_finite()),
        "gradient should be finite: {grad:?}"
    );
    assert_close(&losses, &HUGE_LOGIT_LOSSES, "losses");
    assert_close(&grad, &HUGE_LOGIT_GRAD, "gradient");
}

#[test]
fn cross_entropy_huge_logits_f32() {
    let (losses, grad) = huge_logit_cross_entropy::<f32>();

    assert!(
        losses.iter().all(|v| v.is_finite()),
        "losses should be finite: {losses:?}"
    );
    assert!(
        grad.iter().all(|v| v.is_finite()),
        "gradient should be finite: {grad:?}"
    );
    assert_close(&losses, &HUGE_LOGIT_LOSSES, "losses");
    assert_close(&grad, &HUGE_LOGIT_GRAD, "gradient");
}

#[test]
fn cross_entropy_all_ignored_mean() {
    let logits = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).requires_grad_(true);
    let options = CrossEntropyOptions {
        reduction: Reduction::Mean,
        ignore_index: Some(1),
    };

    let loss = ops::cross_entropy(&logits, &array![1usize, 1], options);
    loss.backward();

    // With no target counted the mean is 0/0, and no logit receives a gradient.
    assert!(loss.item().is_nan(), "loss should be NaN, got {}", loss.item());
    assert_close(&grad_of(&logits), &[0.0; 4], "logits.grad");
}
