//! Reading the PyTorch reference fixtures in `tests/fixtures/`: JSON files of
//! cases whose arrays are `{"shape": [...], "data": [...]}`, row-major, with
//! non-finite floats written as strings.

#![allow(dead_code)]

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use serde_json::Value;

/// One fixture file: its name, the case count it declares, and the cases.
pub struct Fixture {
    pub file: &'static str,
    pub n_cases: usize,
    pub cases: Vec<Value>,
}

/// Reads `tests/fixtures/{file}`, panicking with the file name if it is
/// missing or malformed.
pub fn load_fixture(file: &'static str) -> Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let root: Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{file} is not valid JSON: {error}"));
    let n_cases = root["n_cases"]
        .as_u64()
        .unwrap_or_else(|| panic!("{file}: missing integer field n_cases")) as usize;
    let cases = root["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: missing array field cases"))
        .clone();
    Fixture { file, n_cases, cases }
}

/// Reads an array's shape list.
pub fn parse_shape(array: &Value) -> Result<Vec<usize>, String> {
    let shape = array["shape"].as_array().ok_or("array has no shape list")?;
    shape
        .iter()
        .map(|size| size.as_u64().map(|s| s as usize).ok_or(format!("invalid size {size}")))
        .collect()
}

/// Reads one float, accepting the strings "inf", "-inf" and "nan".
pub fn parse_float(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(number) => number.as_f64().ok_or(format!("{number} is not a float")),
        Value::String(text) => match text.as_str() {
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            "nan" => Ok(f64::NAN),
            other => Err(format!("unknown non-finite marker {other:?}")),
        },
        other => Err(format!("{other} is not a float")),
    }
}

/// Reads a float64 array.
pub fn parse_array(array: &Value) -> Result<ArrayD<f64>, String> {
    let shape = parse_shape(array)?;
    let data = array["data"].as_array().ok_or("array has no data list")?;
    let values = data.iter().map(parse_float).collect::<Result<Vec<f64>, String>>()?;
    ArrayD::from_shape_vec(IxDyn(&shape), values)
        .map_err(|error| format!("data does not fill shape {shape:?}: {error}"))
}

/// Relative tolerance of every comparison with the references:
/// |actual - expected| <= TOLERANCE · max(1, |expected|).
pub const TOLERANCE: f64 = 1e-9;

/// Returns whether `actual` agrees with `expected` to [`TOLERANCE`]. Infinities
/// must match exactly, and an expected NaN needs an actual NaN.
pub fn values_match(actual: f64, expected: f64) -> bool {
    if expected.is_nan() {
        return actual.is_nan();
    }
    if expected.is_infinite() {
        return actual == expected;
    }
    (actual - expected).abs() <= TOLERANCE * expected.abs().max(1.0)
}

/// The message of a caught panic.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else {
        "a panic without a message".to_string()
    }
}
