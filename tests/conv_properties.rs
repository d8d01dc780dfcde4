//! Property tests: the FFT path of `conv1d` computes the same output, input
//! gradient, weight gradient and bias gradient as the direct path.
//!
//! Each case draws a configuration and a seed for the values. The
//! configuration has batch 1 to 3 or an unbatched `(C_in, L)` input, and
//! groups 1 to 3 with 1 to 6 input and output channels per group. Length is
//! 1 to 40, kernel 1 to 7, stride 1 to 4 and dilation 1 to 4, with any
//! padding and a bias or none. Configurations whose dilated kernel is longer than the padded input
//! are rejected, since conv1d panics on them.
//!
//! The two paths must agree to within [`F32_TOLERANCE`] in f32 and
//! [`F64_TOLERANCE`] in f64, relative to the scale of the compared quantity.
//! That scale is the max abs value of the direct path's result, but never
//! less than the largest single product in the sum (max |factor 1| ·
//! max |factor 2|). Some configurations place every kernel tap of an output
//! step in the padding (length 1, kernel 6, dilation 3, `Padding::Same`), so
//! the direct output is exactly zero while the FFT path returns rounding
//! noise.

use convgrad::conv::{conv1d, conv1d_output_length, Conv1dOptions, ConvAlgorithm, Padding};
use convgrad::{Element, Tensor};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Random configurations per element type. The two tests together run twice
/// this many.
const CASES: u32 = 5000;

const F32_TOLERANCE: f64 = 1e-4;
const F64_TOLERANCE: f64 = 1e-10;

/// One random conv1d call.
#[derive(Clone, Debug)]
struct Config {
    batch: usize,
    /// Pass the input as `(C_in, L)` instead of `(1, C_in, L)`.
    unbatched: bool,
    groups: usize,
    group_in: usize,
    group_out: usize,
    length: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
    bias: bool,
    /// Seed of the input, weight, bias and upstream gradient values.
    seed: u64,
}

impl Config {
    fn in_channels(&self) -> usize {
        self.groups * self.group_in
    }

    fn out_channels(&self) -> usize {
        self.groups * self.group_out
    }

    /// Returns whether the dilated kernel fits in the padded input, so that
    /// conv1d accepts the call.
    fn kernel_fits(&self) -> bool {
        let span = self.dilation * (self.kernel - 1) + 1;
        let padding = match self.padding {
            Padding::Zeros(p) => 2 * p,
            Padding::Valid => 0,
            Padding::Same | Padding::Causal => span - 1,
        };
        self.length + padding >= span
    }

    fn input_shape(&self) -> Vec<usize> {
        if self.unbatched {
            vec![self.in_channels(), self.length]
        } else {
            vec![self.batch, self.in_channels(), self.length]
        }
    }

    fn options(&self, algorithm: ConvAlgorithm) -> Conv1dOptions {
        Conv1dOptions {
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            groups: self.groups,
            algorithm,
        }
    }
}

fn padding_strategy() -> impl Strategy<Value = Padding> {
    prop_oneof![
        (0..=3usize).prop_map(Padding::Zeros),
        Just(Padding::Valid),
        Just(Padding::Same),
        Just(Padding::Causal)
    ]
}

prop_compose! {
    /// Draws a configuration within the ranges in the file header.
    /// `Padding::Same` needs stride 1, so it always gets stride 1.
    fn config_strategy()(
        batch in 1..=3usize,
        unbatched in prop::bool::weighted(0.2),
        groups in 1..=3usize,
        group_in in 1..=6usize,
        group_out in 1..=6usize,
        length in 1..=40usize,
        kernel in 1..=7usize,
        stride in 1..=4usize,
        dilation in 1..=4usize,
        padding in padding_strategy(),
        bias in any::<bool>(),
        seed in any::<u64>(),
    ) -> Config {
        let stride = if padding == Padding::Same { 1 } else { stride };
        let batch = if unbatched { 1 } else { batch };
        Config { batch, unbatched, groups, group_in, group_out, length, kernel, stride, dilation, padding, bias, seed }
    }
}

/// Input, weight, optional bias and upstream gradient of one case, drawn
/// from U(-1, 1) in f64 and rounded to `T`.
struct Values<T: Element> {
    input: ArrayD<T>,
    weight: ArrayD<T>,
    bias: Option<ArrayD<T>>,
    upstream: ArrayD<T>,
}

fn draw_values<T: Element>(config: &Config) -> Values<T> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut draw =
        |shape: &[usize]| ArrayD::from_shape_simple_fn(IxDyn(shape), || T::from_f64_lossy(rng.random_range(-1.0..1.0)));
    let input = draw(&config.input_shape());
    let weight = draw(&[config.out_channels(), config.group_in, config.kernel]);
    let bias = config.bias.then(|| draw(&[config.out_channels()]));
    let out_length = conv1d_output_length(config.length, config.kernel, &config.options(ConvAlgorithm::Direct));
    let output_shape = if config.unbatched {
        vec![config.out_channels(), out_length]
    } else {
        vec![config.batch, config.out_channels(), out_length]
    };
    let upstream = draw(&output_shape);
    Values {
        input,
        weight,
        bias,
        upstream,
    }
}

/// The output and the gradients of input, weight and bias of one path.
struct Results<T: Element> {
    output: ArrayD<T>,
    grad_input: ArrayD<T>,
    grad_weight: ArrayD<T>,
    grad_bias: Option<ArrayD<T>>,
}

fn run<T: Element>(config: &Config, values: &Values<T>, algorithm: ConvAlgorithm) -> Results<T> {
    let input = Tensor::from_array(values.input.clone()).requires_grad_(true);
    let weight = Tensor::from_array(values.weight.clone()).requires_grad_(true);
    let bias = values.bias.clone().map(|b| Tensor::from_array(b).requires_grad_(true));

    let output = conv1d(&input, &weight, bias.as_ref(), config.options(algorithm));
    output.backward_with_grad(values.upstream.clone());

    Results {
        output: output.to_array(),
        grad_input: input.grad().expect("backward reaches the input"),
        grad_weight: weight.grad().expect("backward reaches the weight"),
        grad_bias: bias.map(|b| b.grad().expect("backward reaches the bias")),
    }
}

fn max_abs<T: Element>(values: &ArrayD<T>) -> f64 {
    values
        .iter()
        .map(|&v| v.to_f64().expect("a float converts to f64").abs())
        .fold(0.0, f64::max)
}

fn max_abs_difference<T: Element>(a: &ArrayD<T>, b: &ArrayD<T>) -> f64 {
    let to_f64 = |v: T| v.to_f64().expect("a float converts to f64");
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| (to_f64(x) - to_f64(y)).abs())
        .fold(0.0, f64::max)
}

fn check_fft_matches_direct<T: Element>(config: &Config, tolerance: f64) -> Result<(), TestCaseError> {
    prop_assume!(config.kernel_fits());
    let values = draw_values::<T>(config);
    let direct = run(config, &values, ConvAlgorithm::Direct);
    let fft = run(config, &values, ConvAlgorithm::Fft);

    // Each quantity with the largest product term of its sum: output =
    // Σ weight · input, input gradient = Σ upstream · weight, weight
    // gradient = Σ upstream · input, bias gradient = Σ upstream.
    let (input, weight, upstream) = (
        max_abs(&values.input),
        max_abs(&values.weight),
        max_abs(&values.upstream),
    );
    let mut quantities = vec![
        ("output", &fft.output, &direct.output, weight * input),
        ("input gradient", &fft.grad_input, &direct.grad_input, upstream * weight),
        (
            "weight gradient",
            &fft.grad_weight,
            &direct.grad_weight,
            upstream * input,
        ),
    ];
    if let (Some(fft_bias), Some(direct_bias)) = (&fft.grad_bias, &direct.grad_bias) {
        quantities.push(("bias gradient", fft_bias, direct_bias, upstream));
    }
    for (quantity, fft_value, direct_value, largest_term) in quantities {
        prop_assert_eq!(
            fft_value.shape(),
            direct_value.shape(),
            "{} shapes differ for {:?}",
            quantity,
            config
        );
        let error = max_abs_difference(fft_value, direct_value);
        let scale = max_abs(direct_value).max(largest_term);
        prop_assert!(
            error <= tolerance * scale,
            "{} in {}: max |fft - direct| = {:e} exceeds {:e} · scale {:e} for {:?}",
            quantity,
            T::NAME,
            error,
            tolerance,
            scale,
            config
        );
    }
    Ok(())
}

fn proptest_config() -> ProptestConfig {
    // Roughly a fifth of the drawn configurations have a kernel longer than
    // the padded input and are rejected, so allow far more rejections than
    // the default 1024.
    // Failing inputs are not saved to a file: proptest prints the shrunk
    // configuration, and its seed field reproduces the values.
    ProptestConfig {
        cases: CASES,
        max_global_rejects: 10 * CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn fft_matches_direct_f64(config in config_strategy()) {
        check_fft_matches_direct::<f64>(&config, F64_TOLERANCE)?;
    }

    #[test]
    fn fft_matches_direct_f32(config in config_strategy()) {
        check_fft_matches_direct::<f32>(&config, F32_TOLERANCE)?;
    }
}
