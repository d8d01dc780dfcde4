//! Compares `conv1d`, `max_pool1d` and `convolve` with reference values
//! that PyTorch 2.15 computed on CPU in float64, and checks that the
//! argument combinations PyTorch rejects also panic here.
//!
//! The fixtures in `tests/fixtures/` each contain `n_cases` cases. A case
//! lists the op's inputs, its non-tensor parameters, the reference output, a
//! random upstream gradient `R` of the output's shape, and the reference
//! gradient of sum(output · R) with respect to every float input. An array
//! is `{"shape", "dtype", "data"}` with the data flat in row-major order, and
//! non-finite floats are the strings "inf", "-inf" and "nan". Inputs are
//! rounded to four decimals, so products are exact and a correct float64
//! port agrees to about 1e-12.
//!
//! - `conv1d.json`: `torch.nn.functional.conv1d` with an integer padding,
//!   checked once per [`ConvAlgorithm`].
//! - `max_pool1d.json`: `torch.nn.functional.max_pool1d` with
//!   `return_indices=True`, including ties (the first maximum wins),
//!   overlapping windows and `ceil_mode`.
//! - `convolve_full.json`: `numpy.convolve(a, b)` in full mode, which the
//!   generator computed as `conv1d(a, flip(b), padding = len(b) - 1)`.
//! - `errors.json`: calls that raise in PyTorch, with PyTorch's message.

use std::panic::{catch_unwind, AssertUnwindSafe};

use convgrad::conv::{conv1d, convolve, Conv1dOptions, ConvAlgorithm, ConvolveMode, Padding};
use convgrad::ops::{self, BatchNormOptions, CrossEntropyOptions, MaxPool1dOptions};
use convgrad::Tensor;
use ndarray::{Array1, ArrayD, IxDyn};
use serde_json::Value;

mod common;
use common::{load_fixture, panic_text, parse_array, parse_shape, values_match, Fixture};

const ALGORITHMS: [ConvAlgorithm; 3] = [ConvAlgorithm::Direct, ConvAlgorithm::Fft, ConvAlgorithm::Auto];

// ---------------------------------------------------------------------- reading fixtures

/// Reads an int64 array of non-negative indices.
fn parse_indices(array: &Value) -> Result<ArrayD<usize>, String> {
    let shape = parse_shape(array)?;
    let data = array["data"].as_array().ok_or("array has no data list")?;
    let values = data
        .iter()
        .map(|v| v.as_u64().map(|i| i as usize).ok_or(format!("{v} is not an index")))
        .collect::<Result<Vec<usize>, String>>()?;
    ArrayD::from_shape_vec(IxDyn(&shape), values)
        .map_err(|error| format!("data does not fill shape {shape:?}: {error}"))
}

fn field<'a>(case: &'a Value, group: &str, key: &str) -> Result<&'a Value, String> {
    case[group].get(key).ok_or(format!("missing {group}.{key}"))
}

fn float_field(case: &Value, group: &str, key: &str) -> Result<ArrayD<f64>, String> {
    parse_array(field(case, group, key)?).map_err(|error| format!("{group}.{key}: {error}"))
}

fn usize_param(case: &Value, key: &str) -> Result<usize, String> {
    let value = field(case, "params", key)?;
    value
        .as_u64()
        .map(|v| v as usize)
        .ok_or(format!("params.{key} = {value} is not a non-negative integer"))
}

fn bool_param(case: &Value, key: &str) -> Result<bool, String> {
    let value = field(case, "params", key)?;
    value.as_bool().ok_or(format!("params.{key} = {value} is not a bool"))
}

fn case_name(case: &Value) -> &str {
    case["name"].as_str().unwrap_or("<unnamed>")
}

// ---------------------------------------------------------------------- comparing

/// Returns a description of the first mismatch and how many elements differ.
fn compare(quantity: &str, actual: &ArrayD<f64>, expected: &ArrayD<f64>) -> Result<(), String> {
    if actual.shape() != expected.shape() {
        return Err(format!(
            "{quantity} has shape {:?}, expected {:?}",
            actual.shape(),
            expected.shape()
        ));
    }
    let mismatches: Vec<(usize, f64, f64)> = actual
        .iter()
        .zip(expected.iter())
        .enumerate()
        .filter(|(_, (&a, &e))| !values_match(a, e))
        .map(|(flat, (&a, &e))| (flat, a, e))
        .collect();
    match mismatches.first() {
        None => Ok(()),
        Some(&(flat, a, e)) => Err(format!(
            "{quantity} differs at flat index {flat}: got {a:e}, expected {e:e}; {} of {} elements differ",
            mismatches.len(),
            expected.len()
        )),
    }
}

/// Runs `check` on every case of `file`. Returns the number of cases that
/// passed and one line per failed case.
fn run_cases(fixture: &Fixture, check: impl Fn(&Value) -> Result<(), String>) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &fixture.cases {
        let name = case_name(case);
        match catch_unwind(AssertUnwindSafe(|| check(case))) {
            Ok(Ok(())) => passed += 1,
            Ok(Err(message)) => failures.push(format!("{} case {name}: {message}", fixture.file)),
            Err(payload) => failures.push(format!(
                "{} case {name}: panicked: {}",
                fixture.file,
                panic_text(payload.as_ref())
            )),
        }
    }
    (passed, failures)
}

/// Asserts that every case of the file ran and matched.
fn assert_all_passed(fixture: &Fixture, passed: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} mismatches against the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        fixture.cases.len(),
        fixture.n_cases,
        "{}: n_cases is {} but the file contains {} cases",
        fixture.file,
        fixture.n_cases,
        fixture.cases.len()
    );
    assert_eq!(
        passed, fixture.n_cases,
        "{}: {passed} of {} cases were checked",
        fixture.file, fixture.n_cases
    );
}

// ---------------------------------------------------------------------- conv1d

/// Runs one conv1d case with `algorithm` and compares the output and the
/// gradients of x, w and (when present) b after `backward_with_grad(R)`.
fn check_conv1d_case(case: &Value, algorithm: ConvAlgorithm) -> Result<(), String> {
    let op = case["op"].as_str().unwrap_or("");
    if op != "torch.nn.functional.conv1d" {
        return Err(format!("op {op:?} is not torch.nn.functional.conv1d"));
    }
    let options = Conv1dOptions {
        stride: usize_param(case, "stride")?,
        padding: Padding::Zeros(usize_param(case, "padding")?),
        dilation: usize_param(case, "dilation")?,
        groups: usize_param(case, "groups")?,
        algorithm,
    };
    let x = Tensor::from_array(float_field(case, "inputs", "x")?).requires_grad_(true);
    let w = Tensor::from_array(float_field(case, "inputs", "w")?).requires_grad_(true);
    let b = if bool_param(case, "bias")? {
        Some(Tensor::from_array(float_field(case, "inputs", "b")?).requires_grad_(true))
    } else {
        None
    };

    let output = conv1d(&x, &w, b.as_ref(), options);
    compare(
        "output",
        &output.to_array(),
        &parse_array(&case["output"]).map_err(|error| format!("output: {error}"))?,
    )?;

    output.backward_with_grad(parse_array(&case["R"]).map_err(|error| format!("R: {error}"))?);
    let mut leaves = vec![("x", &x), ("w", &w)];
    if let Some(b) = &b {
        leaves.push(("b", b));
    }
    let expected_grads = case["grads"].as_object().ok_or("missing grads object")?;
    if expected_grads.len() != leaves.len() {
        let listed: Vec<&String> = expected_grads.keys().collect();
        return Err(format!(
            "the case lists gradients of {listed:?}, but the call has {} float inputs",
            leaves.len()
        ));
    }
    for (key, leaf) in leaves {
        let expected = float_field(case, "grads", key)?;
        let actual = leaf.grad().ok_or(format!("backward did not reach {key}"))?;
        compare(&format!("gradient of {key}"), &actual, &expected)?;
    }
    Ok(())
}

fn check_conv1d_file(algorithm: ConvAlgorithm) {
    let fixture = load_fixture("conv1d.json");
    let (passed, failures) = run_cases(&fixture, |case| {
        check_conv1d_case(case, algorithm).map_err(|error| format!("{algorithm:?}: {error}"))
    });
    assert_all_passed(&fixture, passed, &failures);
}

#[test]
fn conv1d_direct_matches_pytorch() {
    check_conv1d_file(ConvAlgorithm::Direct);
}

#[test]
fn conv1d_fft_matches_pytorch() {
    check_conv1d_file(ConvAlgorithm::Fft);
}

#[test]
fn conv1d_auto_matches_pytorch() {
    check_conv1d_file(ConvAlgorithm::Auto);
}

// ---------------------------------------------------------------------- max_pool1d

/// Runs one max_pool1d case and compares the output, the argmax indices and
/// the input gradient after `backward_with_grad(R)`.
fn check_max_pool1d_case(case: &Value) -> Result<(), String> {
    let op = case["op"].as_str().unwrap_or("");
    if op != "torch.nn.functional.max_pool1d" {
        return Err(format!("op {op:?} is not torch.nn.functional.max_pool1d"));
    }
    let stride = match field(case, "params", "stride")? {
        Value::Null => None,
        _ => Some(usize_param(case, "stride")?),
    };
    let options = MaxPool1dOptions {
        stride,
        padding: usize_param(case, "padding")?,
        dilation: usize_param(case, "dilation")?,
        ceil_mode: bool_param(case, "ceil_mode")?,
    };
    let x = Tensor::from_array(float_field(case, "inputs", "x")?).requires_grad_(true);

    let (output, indices) = ops::max_pool1d_with_indices(&x, usize_param(case, "kernel_size")?, options);
    compare(
        "output",
        &output.to_array(),
        &parse_array(&case["output"]).map_err(|error| format!("output: {error}"))?,
    )?;
    let expected_indices =
        parse_indices(field(case, "extra", "indices")?).map_err(|error| format!("extra.indices: {error}"))?;
    if indices != expected_indices {
        return Err(format!(
            "indices are {:?}, expected {:?}",
            indices.iter().collect::<Vec<_>>(),
            expected_indices.iter().collect::<Vec<_>>()
        ));
    }

    output.backward_with_grad(parse_array(&case["R"]).map_err(|error| format!("R: {error}"))?);
    let actual = x.grad().ok_or("backward did not reach x")?;
    compare("gradient of x", &actual, &float_field(case, "grads", "x")?)
}

#[test]
fn max_pool1d_matches_pytorch() {
    let fixture = load_fixture("max_pool1d.json");
    let (passed, failures) = run_cases(&fixture, check_max_pool1d_case);
    assert_all_passed(&fixture, passed, &failures);
}

// ---------------------------------------------------------------------- convolve

fn reversed(signal: &Array1<f64>) -> Array1<f64> {
    signal.iter().rev().copied().collect()
}

/// Runs one convolve_full case with `algorithm`.
///
/// `convolve` records no graph, so the reference gradients are checked
/// through the identity they satisfy. With y = a ∗ b in full mode,
/// ∂Σ(y·R)/∂a[i] = Σ_n R[n]·b[n - i], which is valid-mode
/// `convolve(R, reverse(b))`. The gradient of b is likewise valid-mode
/// `convolve(R, reverse(a))`.
fn check_convolve_case(case: &Value, algorithm: ConvAlgorithm) -> Result<(), String> {
    let to_1d = |array: ArrayD<f64>| {
        array
            .into_dimensionality::<ndarray::Ix1>()
            .map_err(|error| format!("not 1-D: {error}"))
    };
    let a = to_1d(float_field(case, "inputs", "a")?)?;
    let b = to_1d(float_field(case, "inputs", "b")?)?;
    let upstream = to_1d(parse_array(&case["R"]).map_err(|error| format!("R: {error}"))?)?;

    let full = convolve(a.view(), b.view(), ConvolveMode::Full, algorithm);
    compare(
        "output",
        &full.into_dyn(),
        &parse_array(&case["output"]).map_err(|error| format!("output: {error}"))?,
    )?;

    let grad_a = convolve(upstream.view(), reversed(&b).view(), ConvolveMode::Valid, algorithm);
    compare("gradient of a", &grad_a.into_dyn(), &float_field(case, "grads", "a")?)?;
    let grad_b = convolve(upstream.view(), reversed(&a).view(), ConvolveMode::Valid, algorithm);
    compare("gradient of b", &grad_b.into_dyn(), &float_field(case, "grads", "b")?)
}

#[test]
fn convolve_full_matches_numpy() {
    let fixture = load_fixture("convolve_full.json");
    for algorithm in ALGORITHMS {
        let check =
            |case: &Value| check_convolve_case(case, algorithm).map_err(|error| format!("{algorithm:?}: {error}"));
        let (passed, failures) = run_cases(&fixture, check);
        assert_all_passed(&fixture, passed, &failures);
    }
}

// ---------------------------------------------------------------------- errors.json

/// Entries of errors.json that have no convgrad call, and why.
///
/// - conv1d `negative_padding`: `Padding::Zeros` takes a `usize`, so a
///   negative padding cannot be written.
/// - embedding `float_indices`: `ops::embedding` takes an array of `usize`,
///   so float indices cannot be passed.
/// - layer_norm `normalized_shape_mismatch`: convgrad has no layer_norm op.
const UNMAPPED_ERRORS: [&str; 3] = ["negative_padding", "float_indices", "normalized_shape_mismatch"];

/// The fragments that convgrad's panic message must contain for each entry
/// of errors.json, keyed by `"{op without its module path} {entry name}"`:
/// the op's name, the rule and the offending value. PyTorch's messages are
/// worded differently, so they are not compared.
const EXPECTED_FRAGMENTS: [(&str, &[&str]); 19] = [
    (
        "max_pool1d padding_gt_half_kernel_k2_p2",
        &[
            "max_pool1d",
            "padding must be at most half",
            "kernel_size 2",
            "padding 2",
        ],
    ),
    (
        "max_pool1d padding_gt_half_kernel_k1_p1",
        &[
            "max_pool1d",
            "padding must be at most half",
            "kernel_size 1",
            "padding 1",
        ],
    ),
    (
        "max_pool1d stride_0",
        &["max_pool1d", "stride must be positive", "stride 0"],
    ),
    (
        "max_pool1d dilation_0",
        &["max_pool1d", "dilation must be positive", "dilation 0"],
    ),
    (
        "max_pool1d dilated_kernel_longer_than_input",
        &[
            "max_pool1d",
            "longer than the padded input",
            "input [1, 1, 4]",
            "kernel_size 3",
            "dilation 2",
        ],
    ),
    (
        "max_pool1d input_1d",
        &["max_pool1d", "input must be (N, C, L) or (C, L)", "input [5]"],
    ),
    (
        "conv1d kernel_longer_than_input",
        &["conv1d", "padded input length 3", "kernel span", "= 5"],
    ),
    (
        "conv1d dilated_kernel_longer_than_input",
        &["conv1d", "padded input length 5", "kernel span", "= 7"],
    ),
    (
        "conv1d groups_not_dividing_out_channels",
        &["conv1d", "groups = 2 must divide", "C_out = 3"],
    ),
    ("conv1d groups_0", &["conv1d", "groups must be positive, got 0"]),
    (
        "conv1d bias_length_mismatch",
        &["conv1d", "bias must have shape [3]", "got [2]"],
    ),
    ("conv1d dilation_0", &["conv1d", "dilation must be positive, got 0"]),
    ("conv1d weight_2d", &["conv1d", "weight must be 3-D", "weight [1, 2]"]),
    (
        "batch_norm training_single_value_per_channel_3d_N1_L1",
        &["batch_norm", "more than 1 value per channel", "[1, 3, 1]"],
    ),
    (
        "batch_norm running_mean_wrong_length",
        &["batch_norm", "running_mean has shape [2]", "3 channels"],
    ),
    (
        "embedding index_eq_num_embeddings",
        &["embedding", "index 5", "out of range for 5 embeddings"],
    ),
    (
        "cross_entropy target_eq_num_classes",
        &["cross_entropy", "target 27", "out of range for 27 classes"],
    ),
    (
        "cross_entropy batch_size_mismatch",
        &["cross_entropy", "[3, 5]", "got [2]"],
    ),
    (
        "log_softmax dim_out_of_range",
        &["log_softmax", "dimension 2 is out of range"],
    ),
];

fn shape_param(params: &Value, key: &str) -> Result<Vec<usize>, String> {
    let list = params[key].as_array().ok_or(format!("params.{key} is not a list"))?;
    list.iter()
        .map(|v| {
            v.as_u64()
                .map(|s| s as usize)
                .ok_or(format!("params.{key} has invalid size {v}"))
        })
        .collect()
}

fn optional_usize(params: &Value, key: &str, default: usize) -> Result<usize, String> {
    match &params[key] {
        Value::Null => Ok(default),
        value => value
            .as_u64()
            .map(|v| v as usize)
            .ok_or(format!("params.{key} = {value} is not a non-negative integer")),
    }
}

/// Builds the convgrad call for one errors.json entry, or returns `None` for
/// an entry in [`UNMAPPED_ERRORS`].
fn error_call(entry: &Value) -> Result<Option<Box<dyn Fn()>>, String> {
    let name = case_name(entry).to_string();
    if UNMAPPED_ERRORS.contains(&name.as_str()) {
        return Ok(None);
    }
    let params = entry["params"].clone();
    let op = entry["op"].as_str().unwrap_or("");
    let call: Box<dyn Fn()> = match op {
        "torch.nn.functional.conv1d" => {
            let input = Tensor::<f64>::zeros(&shape_param(&params, "input_shape")?);
            let weight = Tensor::<f64>::zeros(&shape_param(&params, "weight_shape")?);
            let bias = match params.get("bias_shape") {
                Some(_) => Some(Tensor::<f64>::zeros(&shape_param(&params, "bias_shape")?)),
                None => None,
            };
            let options = Conv1dOptions {
                stride: optional_usize(&params, "stride", 1)?,
                padding: Padding::Zeros(optional_usize(&params, "padding", 0)?),
                dilation: optional_usize(&params, "dilation", 1)?,
                groups: optional_usize(&params, "groups", 1)?,
                algorithm: ConvAlgorithm::Direct,
            };
            Box::new(move || {
                conv1d(&input, &weight, bias.as_ref(), options);
            })
        }
        "torch.nn.functional.max_pool1d" => {
            let input = Tensor::<f64>::zeros(&shape_param(&params, "input_shape")?);
            let kernel = optional_usize(&params, "kernel_size", 0)?;
            let options = MaxPool1dOptions {
                stride: params
                    .get("stride")
                    .map(|_| optional_usize(&params, "stride", 0))
                    .transpose()?,
                padding: optional_usize(&params, "padding", 0)?,
                dilation: optional_usize(&params, "dilation", 1)?,
                ceil_mode: false,
            };
            Box::new(move || {
                ops::max_pool1d(&input, kernel, options);
            })
        }
        "torch.nn.functional.batch_norm" => {
            let input = Tensor::<f64>::zeros(&shape_param(&params, "input_shape")?);
            let channels = input.shape()[1];
            let mean_shape = match params.get("running_mean_shape") {
                Some(_) => shape_param(&params, "running_mean_shape")?,
                None => vec![channels],
            };
            let (mean, var) = (Tensor::<f64>::zeros(&mean_shape), Tensor::<f64>::ones(&[channels]));
            let options = BatchNormOptions {
                training: params["training"].as_bool().unwrap_or(false),
                ..Default::default()
            };
            Box::new(move || {
                ops::batch_norm(&input, Some(&mean), Some(&var), None, None, options);
            })
        }
        "torch.nn.functional.embedding" => {
            let weight = Tensor::<f64>::zeros(&[optional_usize(&params, "num_embeddings", 0)?, 3]);
            let indices = ArrayD::from_elem(IxDyn(&[1]), optional_usize(&params, "index", 0)?);
            Box::new(move || {
                ops::embedding(&indices, &weight, None);
            })
        }
        "torch.nn.functional.cross_entropy" => {
            let logits = Tensor::<f64>::zeros(&shape_param(&params, "logits_shape")?);
            let targets = match params.get("target") {
                Some(_) => shape_param(&params, "target")?,
                None => vec![0; shape_param(&params, "target_shape")?.iter().product()],
            };
            let targets = Array1::from(targets);
            Box::new(move || {
                ops::cross_entropy(&logits, &targets, CrossEntropyOptions::default());
            })
        }
        "torch.log_softmax" => {
            let input = Tensor::<f64>::zeros(&shape_param(&params, "input_shape")?);
            let dim = params["dim"].as_i64().ok_or("params.dim is not an integer")? as isize;
            Box::new(move || {
                ops::log_softmax(&input, dim);
            })
        }
        other => return Err(format!("no convgrad call for op {other:?}")),
    };
    Ok(Some(call))
}

fn expected_fragments(entry: &Value) -> Option<&'static [&'static str]> {
    let op = entry["op"].as_str().unwrap_or("");
    let key = format!("{} {}", op.rsplit('.').next().unwrap_or(op), case_name(entry));
    EXPECTED_FRAGMENTS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, fragments)| *fragments)
}

#[test]
fn rejected_calls_panic() {
    let fixture = load_fixture("errors.json");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in &fixture.cases {
        let label = format!("{} {}", entry["op"].as_str().unwrap_or(""), case_name(entry));
        let call = match error_call(entry) {
            Ok(Some(call)) => call,
            Ok(None) => continue,
            Err(error) => {
                failures.push(format!("{label}: {error}"));
                continue;
            }
        };
        let Some(fragments) = expected_fragments(entry) else {
            failures.push(format!("{label}: no expected message fragments listed"));
            continue;
        };
        match catch_unwind(AssertUnwindSafe(|| call())) {
            Ok(()) => failures.push(format!(
                "{label}: returned normally, but PyTorch raises {:?}",
                entry["message"]
            )),
            Err(payload) => {
                let message = panic_text(payload.as_ref());
                let missing: Vec<&str> = fragments
                    .iter()
                    .copied()
                    .filter(|fragment| !message.contains(fragment))
                    .collect();
                if missing.is_empty() {
                    checked += 1;
                } else {
                    failures.push(format!("{label}: panic message {message:?} lacks {missing:?}"));
                }
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} entries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let (declared, unmapped) = (fixture.n_cases, UNMAPPED_ERRORS.len());
    assert_eq!(
        fixture.cases.len(),
        declared,
        "errors.json: n_cases is {declared} but the file contains {} entries",
        fixture.cases.len()
    );
    assert_eq!(
        checked,
        declared - unmapped,
        "checked {checked} of {declared} entries ({unmapped} unmapped)"
    );
}
