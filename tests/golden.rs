//! Compares convgrad's ops with reference values computed with PyTorch 2.15
//! on CPU in float64.
//!
//! Each file in `tests/fixtures/` contains `n_cases` cases. A case lists the
//! op's inputs, its non-tensor parameters, the reference output, a random
//! upstream gradient `R` of the output's shape, and the reference gradient
//! of sum(output · R) with respect to every float input. An array is
//! `{"shape", "dtype", "data"}` with the data flat in row-major order, and
//! non-finite floats are the strings "inf", "-inf" and "nan". Inputs are
//! rounded to four decimals, so a correct float64 port agrees to about 1e-12.
//!
//! Every test runs all cases of one file, collects each mismatch with the
//! file and case name, and then asserts that there were none and that no
//! case was skipped.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use convgrad::ops::{self, BatchNormOptions, CrossEntropyOptions, Layout, Reduction};
use convgrad::Tensor;
use ndarray::{ArrayD, Dimension, IxDyn};
use serde_json::Value;

mod common;
use common::{load_fixture, panic_text, parse_array, parse_shape, values_match, Fixture};

/// The target value that cross-entropy cases with `ignore_index = -1` are
/// mapped to, since convgrad's targets are unsigned.
const IGNORED_TARGET: usize = usize::MAX;

// ---------------------------------------------------------------------- fixture files

/// Reads an int64 array of indices or targets.
fn parse_integers(array: &Value) -> Result<(Vec<usize>, Vec<i64>), String> {
    let shape = parse_shape(array)?;
    let data = array["data"].as_array().ok_or("array has no data list")?;
    let values = data
        .iter()
        .map(|v| v.as_i64().ok_or(format!("{v} is not an integer")))
        .collect::<Result<Vec<i64>, String>>()?;
    Ok((shape, values))
}

// ---------------------------------------------------------------------- one case

/// One case of a fixture file, with its name.
struct Case<'a> {
    json: &'a Value,
    name: String,
}

impl<'a> Case<'a> {
    fn op(&self) -> &str {
        self.json["op"].as_str().unwrap_or("")
    }

    fn param(&self, key: &str) -> &Value {
        &self.json["params"][key]
    }

    fn input_array(&self, key: &str) -> Result<ArrayD<f64>, String> {
        let array = self.json["inputs"].get(key).ok_or(format!("missing input {key:?}"))?;
        parse_array(array).map_err(|error| format!("input {key:?}: {error}"))
    }

    fn input_integers(&self, key: &str) -> Result<(Vec<usize>, Vec<i64>), String> {
        let array = self.json["inputs"].get(key).ok_or(format!("missing input {key:?}"))?;
        parse_integers(array).map_err(|error| format!("input {key:?}: {error}"))
    }

    /// Builds a leaf from a float input. It requires a gradient exactly when
    /// the case lists a reference gradient for it.
    fn leaf(&self, key: &str) -> Result<Tensor<f64>, String> {
        let requires_grad = self.json["grads"].get(key).is_some();
        Ok(Tensor::from_array(self.input_array(key)?).requires_grad_(requires_grad))
    }
}

/// The result of running the convgrad op of one case.
struct Outcome {
    output: Tensor<f64>,
    /// The tensors whose gradients the case lists, by input name.
    leaves: HashMap<String, Tensor<f64>>,
    /// Tensors compared with the case's `extra` values after the call, by
    /// the key in `extra` (the running statistics of batch norm).
    after: Vec<(&'static str, Tensor<f64>)>,
}

/// Collects every mismatch of one fixture file, so a failing test lists all
/// of them at once.
struct Report {
    file: &'static str,
    failures: Vec<String>,
    checked_cases: usize,
}

impl Report {
    fn new(file: &'static str) -> Self {
        Report {
            file,
            failures: Vec::new(),
            checked_cases: 0,
        }
    }

    fn fail(&mut self, case: &str, message: impl std::fmt::Display) {
        self.failures.push(format!("{} case {case}: {message}", self.file));
    }

    /// Compares `actual` with `expected` element by element and records the
    /// first mismatch, with the number of mismatching elements.
    fn compare(&mut self, case: &str, quantity: &str, actual: &ArrayD<f64>, expected: &ArrayD<f64>) {
        if actual.shape() != expected.shape() {
            self.fail(
                case,
                format!(
                    "{quantity} has shape {:?}, expected {:?}",
                    actual.shape(),
                    expected.shape()
                ),
            );
            return;
        }
        let mismatches: Vec<(Vec<usize>, f64, f64)> = actual
            .indexed_iter()
            .zip(expected.iter())
            .filter(|((_, &a), &b)| !values_match(a, b))
            .map(|((index, &a), &b)| (index.slice().to_vec(), a, b))
            .collect();
        if let Some((index, a, b)) = mismatches.first() {
            self.fail(
                case,
                format!(
                    "{quantity} differs at index {index:?}: got {a:e}, expected {b:e} (difference {:e}); {} of {} elements differ",
                    (a - b).abs(),
                    mismatches.len(),
                    expected.len()
                ),
            );
        }
    }

    /// Asserts that no case failed and that every case of the file ran.
    fn finish(self, fixture: &Fixture) {
        assert!(
            self.failures.is_empty(),
            "{} mismatches against PyTorch:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert_eq!(
            fixture.cases.len(),
            fixture.n_cases,
            "{}: the file declares n_cases = {} but contains {} cases",
            fixture.file,
            fixture.n_cases,
            fixture.cases.len()
        );
        assert_eq!(
            self.checked_cases, fixture.n_cases,
            "{}: checked {} of {} cases",
            fixture.file, self.checked_cases, fixture.n_cases
        );
    }
}

/// Runs every case of `file` through `run`, then compares the output, the
/// gradients after `backward_with_grad(R)` and any `extra` values.
fn check_file(file: &'static str, run: impl Fn(&Case) -> Result<Outcome, String>) {
    let fixture = load_fixture(file);
    let mut report = Report::new(file);
    for json in &fixture.cases {
        let name = json["name"].as_str().unwrap_or("<unnamed>").to_string();
        let case = Case {
            json,
            name: name.clone(),
        };
        let result = catch_unwind(AssertUnwindSafe(|| check_case(&case, &run, &mut report)));
        match result {
            Ok(Ok(())) => report.checked_cases += 1,
            Ok(Err(message)) => report.fail(&name, message),
            Err(payload) => report.fail(&name, format!("panicked: {}", panic_text(payload.as_ref()))),
        }
    }
    report.finish(&fixture);
}

fn check_case(case: &Case, run: &impl Fn(&Case) -> Result<Outcome, String>, report: &mut Report) -> Result<(), String> {
    let name = case.name.as_str();
    let expected_output = parse_array(&case.json["output"]).map_err(|error| format!("output: {error}"))?;
    let upstream = parse_array(&case.json["R"]).map_err(|error| format!("R: {error}"))?;
    let outcome = run(case)?;

    report.compare(name, "output", &outcome.output.to_array(), &expected_output);
    for (key, tensor) in &outcome.after {
        let expected = case.json["extra"].get(*key).ok_or(format!("missing extra {key:?}"))?;
        let expected = parse_array(expected).map_err(|error| format!("extra {key:?}: {error}"))?;
        report.compare(name, key, &tensor.to_array(), &expected);
    }

    if upstream.shape() != outcome.output.shape().as_slice() {
        return Err(format!(
            "R has shape {:?} but the output has shape {:?}",
            upstream.shape(),
            outcome.output.shape()
        ));
    }
    outcome.output.backward_with_grad(upstream);

    let expected_grads = case.json["grads"].as_object().ok_or("missing grads object")?;
    for (key, expected) in expected_grads {
        let expected = parse_array(expected).map_err(|error| format!("grads {key:?}: {error}"))?;
        let quantity = format!("gradient of {key}");
        match outcome.leaves.get(key).map(Tensor::grad) {
            Some(Some(actual)) => report.compare(name, &quantity, &actual, &expected),
            Some(None) => report.fail(name, format!("{quantity}: backward did not reach the input")),
            None => report.fail(name, format!("{quantity}: the op has no input named {key:?}")),
        }
    }
    Ok(())
}

fn leaves_of(pairs: &[(&str, &Tensor<f64>)]) -> HashMap<String, Tensor<f64>> {
    pairs
        .iter()
        .map(|(name, tensor)| (name.to_string(), (*tensor).clone()))
        .collect()
}

// ---------------------------------------------------------------------- ops per file

fn run_linear(case: &Case) -> Result<Outcome, String> {
    let x = case.leaf("x")?;
    let w = case.leaf("w")?;
    let has_bias = case.param("bias").as_bool().ok_or("params.bias is not a bool")?;
    let b = if has_bias { Some(case.leaf("b")?) } else { None };

    let output = ops::linear(&x, &w, b.as_ref());

    let mut leaves = leaves_of(&[("x", &x), ("w", &w)]);
    leaves.extend(b.map(|b| ("b".to_string(), b)));
    Ok(Outcome {
        output,
        leaves,
        after: Vec::new(),
    })
}

fn run_embedding(case: &Case) -> Result<Outcome, String> {
    let (shape, values) = case.input_integers("idx")?;
    let rows = values
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| format!("negative index {v}")))
        .collect::<Result<Vec<usize>, String>>()?;
    let indices = ArrayD::from_shape_vec(IxDyn(&shape), rows).map_err(|error| error.to_string())?;
    let padding_idx = match case.param("padding_idx") {
        Value::Null => None,
        value => Some(value.as_u64().ok_or(format!("invalid padding_idx {value}"))? as usize),
    };
    let w = case.leaf("w")?;

    let output = ops::embedding(&indices, &w, padding_idx);

    Ok(Outcome {
        output,
        leaves: leaves_of(&[("w", &w)]),
        after: Vec::new(),
    })
}

fn run_cross_entropy(case: &Case) -> Result<Outcome, String> {
    let ignore_index = case
        .param("ignore_index")
        .as_i64()
        .ok_or("params.ignore_index is not an integer")?;
    let reduction = match case.param("reduction").as_str() {
        Some("mean") => Reduction::Mean,
        Some("sum") => Reduction::Sum,
        Some("none") => Reduction::None,
        other => return Err(format!("unknown reduction {other:?}")),
    };
    let (shape, values) = case.input_integers("target")?;
    let targets = values
        .iter()
        .map(|&t| match usize::try_from(t) {
            Ok(target) => Ok(target),
            Err(_) if t == ignore_index => Ok(IGNORED_TARGET),
            Err(_) => Err(format!("negative target {t} that is not ignore_index {ignore_index}")),
        })
        .collect::<Result<Vec<usize>, String>>()?;
    let targets = ArrayD::from_shape_vec(IxDyn(&shape), targets).map_err(|error| error.to_string())?;
    // A negative ignore_index (PyTorch's default is -100) can only match the
    // targets mapped to IGNORED_TARGET above.
    let ignore_index = if ignore_index < 0 {
        Some(IGNORED_TARGET)
    } else {
        Some(ignore_index as usize)
    };
    let logits = case.leaf("logits")?;

    let output = ops::cross_entropy(
        &logits,
        &targets,
        CrossEntropyOptions {
            reduction,
            ignore_index,
        },
    );

    Ok(Outcome {
        output,
        leaves: leaves_of(&[("logits", &logits)]),
        after: Vec::new(),
    })
}

fn run_batch_norm(case: &Case) -> Result<Outcome, String> {
    let training = case
        .param("training")
        .as_bool()
        .ok_or("params.training is not a bool")?;
    let momentum = case
        .param("momentum")
        .as_f64()
        .ok_or("params.momentum is not a number")?;
    let eps = case.param("eps").as_f64().ok_or("params.eps is not a number")?;
    let affine = case.param("affine").as_bool().ok_or("params.affine is not a bool")?;
    let x = case.leaf("x")?;
    let running_mean = case.leaf("running_mean")?;
    let running_var = case.leaf("running_var")?;
    let (weight, bias) = if affine {
        (Some(case.leaf("weight")?), Some(case.leaf("bias")?))
    } else {
        (None, None)
    };
    let options = BatchNormOptions {
        training,
        momentum,
        eps,
        layout: Layout::ChannelsFirst,
        variance_correction: 0,
    };

    let output = ops::batch_norm(
        &x,
        Some(&running_mean),
        Some(&running_var),
        weight.as_ref(),
        bias.as_ref(),
        options,
    );

    let mut leaves = leaves_of(&[("x", &x)]);
    leaves.extend(weight.map(|w| ("weight".to_string(), w)));
    leaves.extend(bias.map(|b| ("bias".to_string(), b)));
    let after = vec![("running_mean_after", running_mean), ("running_var_after", running_var)];
    Ok(Outcome { output, leaves, after })
}

/// Runs the makemore lecture's BatchNorm1d: channels last, the unbiased
/// variance to normalise, and running statistics that start at zeros and ones.
fn run_batch_norm_lecture(case: &Case) -> Result<Outcome, String> {
    let momentum = case
        .param("momentum")
        .as_f64()
        .ok_or("params.momentum is not a number")?;
    let eps = case.param("eps").as_f64().ok_or("params.eps is not a number")?;
    let x = case.leaf("x")?;
    let gamma = case.leaf("gamma")?;
    let beta = case.leaf("beta")?;
    let channels = *x.shape().last().ok_or("x is 0-dimensional")?;
    let running_mean = Tensor::<f64>::zeros(&[channels]);
    let running_var = Tensor::<f64>::ones(&[channels]);
    let options = BatchNormOptions {
        training: true,
        momentum,
        eps,
        layout: Layout::ChannelsLast,
        variance_correction: 1,
    };

    let output = ops::batch_norm(
        &x,
        Some(&running_mean),
        Some(&running_var),
        Some(&gamma),
        Some(&beta),
        options,
    );

    let leaves = leaves_of(&[("x", &x), ("gamma", &gamma), ("beta", &beta)]);
    let after = vec![("running_mean_after", running_mean), ("running_var_after", running_var)];
    Ok(Outcome { output, leaves, after })
}

fn run_unary(case: &Case) -> Result<Outcome, String> {
    let x = case.leaf("x")?;
    let dim = || {
        case.param("dim")
            .as_i64()
            .map(|d| d as isize)
            .ok_or("params.dim is not an integer".to_string())
    };
    let output = match case.op() {
        "torch.log_softmax(dim=-1)" => ops::log_softmax(&x, dim()?),
        "torch.softmax(dim=-1)" => ops::softmax(&x, dim()?),
        "torch.tanh" => x.tanh(),
        "torch.sigmoid" => x.sigmoid(),
        "torch.nn.functional.gelu(approximate='tanh')" => x.gelu_tanh(),
        other => return Err(format!("no convgrad op for {other:?}")),
    };
    Ok(Outcome {
        output,
        leaves: leaves_of(&[("x", &x)]),
        after: Vec::new(),
    })
}

/// Rejects a case whose `op` is not the one this file's runner implements.
fn expect_op<'a>(
    expected: &'static str,
    run: impl Fn(&Case) -> Result<Outcome, String> + 'a,
) -> impl Fn(&Case) -> Result<Outcome, String> + 'a {
    move |case| {
        if case.op() != expected {
            return Err(format!("op {:?} is not {expected:?}", case.op()));
        }
        run(case)
    }
}

// ---------------------------------------------------------------------- tests

#[test]
fn linear_matches_pytorch() {
    check_file(
        "linear.json",
        expect_op(
            "torch.nn.functional.linear (weight is (out_features, in_features): y = x W^T + b)",
            run_linear,
        ),
    );
}

#[test]
fn embedding_matches_pytorch() {
    check_file(
        "embedding.json",
        expect_op("torch.nn.functional.embedding", run_embedding),
    );
}

#[test]
fn cross_entropy_matches_pytorch() {
    check_file(
        "cross_entropy.json",
        expect_op("torch.nn.functional.cross_entropy", run_cross_entropy),
    );
}

#[test]
fn batch_norm_matches_pytorch() {
    check_file(
        "batch_norm.json",
        expect_op("torch.nn.functional.batch_norm", run_batch_norm),
    );
}

#[test]
fn batch_norm_lecture_matches_reference() {
    check_file(
        "batch_norm_lecture.json",
        expect_op(
            "makemore part 5 lecture BatchNorm1d (unbiased variance in normalisation), training mode",
            run_batch_norm_lecture,
        ),
    );
}

#[test]
fn unary_and_softmax_match_pytorch() {
    check_file("unary_softmax_tanh_sigmoid_gelu.json", run_unary);
}

/// The comparison rule itself: a wrong value, a wrong shape and a missing
/// infinity must each be reported.
#[test]
fn comparison_reports_mismatches() {
    let expected = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0, f64::NEG_INFINITY, f64::NAN]).unwrap();
    let mut report = Report::new("self-test");

    report.compare("exact", "output", &expected.clone(), &expected);
    let exact_failures = report.failures.len();
    let wrong = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0 + 1e-6, -1e300, 0.0]).unwrap();
    report.compare("wrong", "output", &wrong, &expected);
    report.compare("shape", "output", &ArrayD::zeros(IxDyn(&[1, 3])), &expected);

    assert_eq!(
        exact_failures, 0,
        "identical arrays were reported: {:?}",
        report.failures
    );
    assert_eq!(
        report.failures.len(),
        2,
        "expected one failure per bad array: {:?}",
        report.failures
    );
    assert!(
        report.failures[0].contains("self-test case wrong"),
        "message lacks file and case: {}",
        report.failures[0]
    );
    assert!(
        report.failures[0].contains("3 of 3 elements differ"),
        "message lacks the count: {}",
        report.failures[0]
    );
    assert!(
        report.failures[1].contains("has shape [1, 3], expected [3]"),
        "message lacks the shapes: {}",
        report.failures[1]
    );
}
