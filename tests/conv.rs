//! Tests of one-dimensional convolution and pooling: `conv::convolve` on
//! plain signals, the `conv1d` op on both of its paths, `max_pool1d`, and the
//! `nn::Conv1d` and `nn::MaxPool1d` modules.
//!
//! Each test names the source of its reference values. There are three:
//! results derived by hand from the definitions, PyTorch's formulas and
//! conventions (output length, `padding="same"`), and agreement between
//! independent computations in convgrad. Those are direct sums against
//! FFTs, the analytic backward against finite differences, and conv1d
//! against Linear.

use convgrad::conv::{conv1d, conv1d_output_length, convolve, Conv1dOptions, ConvAlgorithm, ConvolveMode, Padding};
use convgrad::gradcheck::{check_gradients, GradcheckOptions};
use convgrad::nn::{Conv1d, Conv1dConfig, FlattenConsecutive, Linear, MaxPool1d, Module};
use convgrad::ops::{max_pool1d, max_pool1d_with_indices, MaxPool1dOptions};
use convgrad::{manual_seed, Element, Tensor};
use ndarray::{array, concatenate, s, Array1, ArrayD, Axis, IxDyn};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const ALGORITHMS: [ConvAlgorithm; 3] = [ConvAlgorithm::Direct, ConvAlgorithm::Fft, ConvAlgorithm::Auto];
const MODES: [ConvolveMode; 3] = [ConvolveMode::Full, ConvolveMode::Same, ConvolveMode::Valid];

// ---------------------------------------------------------------------- helpers

/// Independent draws from U(-1, 1), made in f64 and rounded to `T`, so that
/// an f32 array and an f64 array from the same seed contain the same numbers.
fn uniform<T: Element>(shape: &[usize], seed: u64) -> ArrayD<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    ArrayD::from_shape_simple_fn(IxDyn(shape), || T::from_f64_lossy(rng.random_range(-1.0..1.0)))
}

fn uniform_signal<T: Element>(length: usize, seed: u64) -> Array1<T> {
    uniform::<T>(&[length], seed).into_dimensionality().expect("1-D")
}

fn to_f64<T: Element>(value: T) -> f64 {
    value.to_f64().expect("a float converts to f64")
}

fn max_abs<T: Element>(values: &ArrayD<T>) -> f64 {
    values.iter().map(|&v| to_f64(v).abs()).fold(0.0, f64::max)
}

/// max |a - b|, compared in f64 so that `a` and `b` may differ in type.
fn max_abs_difference<A: Element, B: Element>(a: &ArrayD<A>, b: &ArrayD<B>) -> f64 {
    assert_eq!(a.shape(), b.shape(), "compared arrays differ in shape");
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| (to_f64(x) - to_f64(y)).abs())
        .fold(0.0, f64::max)
}

/// max |actual - reference| relative to the reference's scale, max |reference|.
fn relative_error<A: Element, B: Element>(actual: &ArrayD<A>, reference: &ArrayD<B>) -> f64 {
    max_abs_difference(actual, reference) / max_abs(reference)
}

fn options(stride: usize, padding: Padding, dilation: usize, groups: usize, algorithm: ConvAlgorithm) -> Conv1dOptions {
    Conv1dOptions {
        stride,
        padding,
        dilation,
        groups,
        algorithm,
    }
}

/// Pads the last dimension of a 3-D array with zeros.
fn zero_pad(x: &ArrayD<f64>, left: usize, right: usize) -> ArrayD<f64> {
    let (batch, channels) = (x.shape()[0], x.shape()[1]);
    let left = ArrayD::zeros(IxDyn(&[batch, channels, left]));
    let right = ArrayD::zeros(IxDyn(&[batch, channels, right]));
    concatenate(Axis(2), &[left.view(), x.view(), right.view()]).expect("same batch and channels")
}

// ---------------------------------------------------------------------- the classic example

/// (1, 2, 3) ∗ (4, 5, 6): 1·4 = 4, 1·5 + 2·4 = 13, 1·6 + 2·5 + 3·4 = 28,
/// 2·6 + 3·5 = 27, 3·6 = 18.
fn check_classic_full<T: Element>(tolerance: f64) {
    let a = array![1.0, 2.0, 3.0].mapv(T::from_f64_lossy);
    let b = array![4.0, 5.0, 6.0].mapv(T::from_f64_lossy);
    let expected = array![4.0, 13.0, 28.0, 27.0, 18.0].into_dyn();
    for algorithm in ALGORITHMS {
        let full = convolve(a.view(), b.view(), ConvolveMode::Full, algorithm).into_dyn();
        let error = max_abs_difference(&full, &expected);
        assert!(
            error <= tolerance,
            "{} {algorithm:?}: got {full}, expected {expected} (error {error:e})",
            T::NAME
        );
    }
}

#[test]
fn convolve_classic_full_f64() {
    check_classic_full::<f64>(1e-12);
}

#[test]
fn convolve_classic_full_f32() {
    check_classic_full::<f32>(1e-5);
}

/// Padding (4, 13, 28, 27, 18) with -inf on each side and taking the max of
/// each pair: max(-inf, 4) = 4, max(13, 28) = 28, max(27, 18) = 27.
#[test]
fn max_pool1d_classic() {
    for algorithm in ALGORITHMS {
        let full = convolve(
            array![1.0, 2.0, 3.0].view(),
            array![4.0, 5.0, 6.0].view(),
            ConvolveMode::Full,
            algorithm,
        );
        let signal = Tensor::<f64>::from_vec(full.to_vec(), &[1, 5]);

        let pooled = max_pool1d(
            &signal,
            2,
            MaxPool1dOptions {
                padding: 1,
                ..Default::default()
            },
        );

        let error = max_abs_difference(&pooled.to_array(), &array![[4.0, 28.0, 27.0]].into_dyn());
        assert!(error <= 1e-12, "{algorithm:?}: pooled to {:?}", pooled.to_vec());
    }
}

// ---------------------------------------------------------------------- convolve modes

/// One pair of signals with its full, same and valid results, derived by
/// hand from (a ∗ b)[n] = Σ_i a[i]·b[n - i]. The modes follow numpy. Same
/// starts at index (min(len a, len b) - 1) / 2 of the full result and has
/// length max(len a, len b). Valid starts at min - 1 and has length
/// max - min + 1.
struct ModeCase {
    label: &'static str,
    a: Vec<f64>,
    b: Vec<f64>,
    full: Vec<f64>,
    same: Vec<f64>,
    valid: Vec<f64>,
}

fn mode_cases() -> Vec<ModeCase> {
    vec![
        ModeCase {
            label: "(1,2,3) * (4,5,6)",
            a: vec![1.0, 2.0, 3.0],
            b: vec![4.0, 5.0, 6.0],
            full: vec![4.0, 13.0, 28.0, 27.0, 18.0],
            same: vec![13.0, 28.0, 27.0],
            valid: vec![28.0],
        },
        // a shorter than b: same starts at (2 - 1) / 2 = 0.
        ModeCase {
            label: "(1,2) * (1,1,1,1)",
            a: vec![1.0, 2.0],
            b: vec![1.0, 1.0, 1.0, 1.0],
            full: vec![1.0, 3.0, 3.0, 3.0, 2.0],
            same: vec![1.0, 3.0, 3.0, 3.0],
            valid: vec![3.0, 3.0, 3.0],
        },
        // a shorter than b with an odd length: same starts at (3 - 1) / 2 = 1.
        // full: 1·3; 1·0 - 1·3; 1·1 - 0 + 2·3; 1·2 - 1·1 + 0; -1·2 - 1·2 + 2·1;
        // 1·2 + 2·2; 2·(-2).
        ModeCase {
            label: "(1,-1,2) * (3,0,1,2,-2)",
            a: vec![1.0, -1.0, 2.0],
            b: vec![3.0, 0.0, 1.0, 2.0, -2.0],
            full: vec![3.0, -3.0, 7.0, 1.0, -2.0, 6.0, -4.0],
            same: vec![-3.0, 7.0, 1.0, -2.0, 6.0],
            valid: vec![7.0, 1.0, -2.0],
        },
        // Even lengths: same starts at (4 - 1) / 2 = 1.
        // full: 1; 0 + 2; -1 + 0 + 3; 2 - 2 + 0 + 4; 4 - 3 + 0; 6 - 4; 8.
        ModeCase {
            label: "(1,2,3,4) * (1,0,-1,2)",
            a: vec![1.0, 2.0, 3.0, 4.0],
            b: vec![1.0, 0.0, -1.0, 2.0],
            full: vec![1.0, 2.0, 2.0, 4.0, 1.0, 2.0, 8.0],
            same: vec![2.0, 2.0, 4.0, 1.0],
            valid: vec![4.0],
        },
        // One-element signal: every mode is the scaled other signal.
        ModeCase {
            label: "(2) * (1,2,3)",
            a: vec![2.0],
            b: vec![1.0, 2.0, 3.0],
            full: vec![2.0, 4.0, 6.0],
            same: vec![2.0, 4.0, 6.0],
            valid: vec![2.0, 4.0, 6.0],
        },
    ]
}

#[test]
fn convolve_modes_match_hand_results() {
    for case in mode_cases() {
        let (a, b) = (Array1::from(case.a.clone()), Array1::from(case.b.clone()));
        for algorithm in ALGORITHMS {
            for (mode, expected) in [
                (ConvolveMode::Full, &case.full),
                (ConvolveMode::Same, &case.same),
                (ConvolveMode::Valid, &case.valid),
            ] {
                let result = convolve(a.view(), b.view(), mode, algorithm);
                let label = format!("{} {mode:?} {algorithm:?}", case.label);

                assert_eq!(result.len(), expected.len(), "{label}: length");
                let error = max_abs_difference(&result.clone().into_dyn(), &Array1::from(expected.clone()).into_dyn());
                assert!(error <= 1e-12, "{label}: got {result}, expected {expected:?}");
            }
        }
    }
}

/// Swapping the signals leaves every mode unchanged, as convolution commutes.
#[test]
fn convolve_modes_commute() {
    for case in mode_cases() {
        let (a, b) = (Array1::from(case.a.clone()), Array1::from(case.b.clone()));
        for mode in MODES {
            let forward = convolve(a.view(), b.view(), mode, ConvAlgorithm::Direct);
            let swapped = convolve(b.view(), a.view(), mode, ConvAlgorithm::Direct);
            assert_eq!(forward, swapped, "{} {mode:?}", case.label);
        }
    }
}

#[test]
#[should_panic(expected = "convolve: both signals must be non-empty, got lengths 0 and 3")]
fn convolve_empty_signal_panics() {
    convolve(
        Array1::<f64>::zeros(0).view(),
        array![1.0, 2.0, 3.0].view(),
        ConvolveMode::Full,
        ConvAlgorithm::Direct,
    );
}

/// Signal length pairs for the direct-against-FFT comparison, up to 2000.
const SIGNAL_LENGTHS: [(usize, usize); 9] = [
    (1, 1),
    (1, 2000),
    (2000, 1),
    (7, 1999),
    (1000, 37),
    (37, 1000),
    (513, 1024),
    (2000, 2000),
    (1999, 64),
];

fn check_convolve_paths_agree<T: Element>(tolerance: f64) {
    for (seed, &(len_a, len_b)) in SIGNAL_LENGTHS.iter().enumerate() {
        let a = uniform_signal::<T>(len_a, 2 * seed as u64);
        let b = uniform_signal::<T>(len_b, 2 * seed as u64 + 1);
        for mode in MODES {
            let direct = convolve(a.view(), b.view(), mode, ConvAlgorithm::Direct).into_dyn();
            let fft = convolve(a.view(), b.view(), mode, ConvAlgorithm::Fft).into_dyn();

            let error = relative_error(&fft, &direct);
            assert!(
                error <= tolerance,
                "{} lengths {len_a} and {len_b} {mode:?}: relative error {error:e}",
                T::NAME
            );
        }
    }
}

#[test]
fn convolve_paths_agree_f64() {
    check_convolve_paths_agree::<f64>(1e-10);
}

#[test]
fn convolve_paths_agree_f32() {
    check_convolve_paths_agree::<f32>(1e-4);
}

// ---------------------------------------------------------------------- gradient checks

/// One conv1d configuration for the gradient check.
#[derive(Clone, Copy, Debug)]
struct ConvCase {
    /// `None` for an unbatched `(C_in, L)` input.
    batch: Option<usize>,
    in_channels: usize,
    out_channels: usize,
    length: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
    dilation: usize,
    groups: usize,
    bias: bool,
}

#[rustfmt::skip]
const GRADCHECK_CASES: [ConvCase; 14] = [
    ConvCase { batch: Some(2), in_channels: 2, out_channels: 3, length: 7, kernel: 3, stride: 1, padding: Padding::Zeros(0), dilation: 1, groups: 1, bias: true },
    ConvCase { batch: Some(2), in_channels: 2, out_channels: 2, length: 9, kernel: 3, stride: 2, padding: Padding::Zeros(1), dilation: 1, groups: 1, bias: true },
    // Stride 3 leaves the last input step unread.
    ConvCase { batch: Some(1), in_channels: 1, out_channels: 2, length: 10, kernel: 2, stride: 3, padding: Padding::Zeros(0), dilation: 1, groups: 1, bias: false },
    ConvCase { batch: Some(2), in_channels: 2, out_channels: 2, length: 9, kernel: 3, stride: 1, padding: Padding::Zeros(2), dilation: 2, groups: 1, bias: true },
    ConvCase { batch: Some(1), in_channels: 2, out_channels: 3, length: 8, kernel: 5, stride: 1, padding: Padding::Same, dilation: 1, groups: 1, bias: true },
    // Same with an odd total padding of 3·(4 - 1) = 9.
    ConvCase { batch: Some(2), in_channels: 2, out_channels: 2, length: 7, kernel: 4, stride: 1, padding: Padding::Same, dilation: 3, groups: 1, bias: false },
    ConvCase { batch: Some(2), in_channels: 3, out_channels: 2, length: 6, kernel: 3, stride: 1, padding: Padding::Causal, dilation: 2, groups: 1, bias: true },
    ConvCase { batch: Some(1), in_channels: 2, out_channels: 2, length: 9, kernel: 2, stride: 2, padding: Padding::Causal, dilation: 1, groups: 1, bias: true },
    ConvCase { batch: Some(1), in_channels: 2, out_channels: 2, length: 6, kernel: 6, stride: 1, padding: Padding::Valid, dilation: 1, groups: 1, bias: true },
    ConvCase { batch: Some(2), in_channels: 4, out_channels: 6, length: 8, kernel: 3, stride: 1, padding: Padding::Zeros(1), dilation: 1, groups: 2, bias: true },
    ConvCase { batch: Some(1), in_channels: 3, out_channels: 3, length: 7, kernel: 3, stride: 2, padding: Padding::Zeros(1), dilation: 2, groups: 3, bias: false },
    ConvCase { batch: None, in_channels: 3, out_channels: 2, length: 8, kernel: 3, stride: 1, padding: Padding::Zeros(1), dilation: 1, groups: 1, bias: true },
    ConvCase { batch: None, in_channels: 2, out_channels: 4, length: 6, kernel: 2, stride: 1, padding: Padding::Causal, dilation: 2, groups: 2, bias: true },
    ConvCase { batch: Some(2), in_channels: 3, out_channels: 2, length: 5, kernel: 1, stride: 2, padding: Padding::Zeros(0), dilation: 1, groups: 1, bias: true },
];

/// The analytic gradients of input, weight and bias agree with central
/// finite differences of the forward pass, on both paths.
#[test]
fn conv1d_gradients_match_finite_differences() {
    let mut failures = Vec::new();
    for (index, case) in GRADCHECK_CASES.iter().enumerate() {
        let input_shape = match case.batch {
            Some(batch) => vec![batch, case.in_channels, case.length],
            None => vec![case.in_channels, case.length],
        };
        let seed = 10 * index as u64;
        let mut inputs = vec![
            Tensor::from_array(uniform::<f64>(&input_shape, seed)),
            Tensor::from_array(uniform::<f64>(
                &[case.out_channels, case.in_channels / case.groups, case.kernel],
                seed + 1,
            )),
        ];
        if case.bias {
            inputs.push(Tensor::from_array(uniform::<f64>(&[case.out_channels], seed + 2)));
        }
        for algorithm in [ConvAlgorithm::Direct, ConvAlgorithm::Fft] {
            let conv_options = options(case.stride, case.padding, case.dilation, case.groups, algorithm);
            let forward = |t: &[Tensor<f64>]| conv1d(&t[0], &t[1], t.get(2), conv_options);
            if let Err(error) = check_gradients(forward, &inputs, GradcheckOptions::default()) {
                failures.push(format!("{algorithm:?} {case:?}: {error}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} gradient checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One max_pool1d configuration for the gradient check.
#[derive(Clone, Copy, Debug)]
struct PoolCase {
    shape: &'static [usize],
    kernel: usize,
    options: MaxPool1dOptions,
}

const fn pool(
    shape: &'static [usize],
    kernel: usize,
    stride: Option<usize>,
    padding: usize,
    dilation: usize,
    ceil_mode: bool,
) -> PoolCase {
    PoolCase {
        shape,
        kernel,
        options: MaxPool1dOptions {
            stride,
            padding,
            dilation,
            ceil_mode,
        },
    }
}

const POOL_CASES: [PoolCase; 8] = [
    pool(&[2, 2, 8], 2, None, 0, 1, false),
    // Overlapping windows: an element that wins several windows collects
    // every one of their gradients.
    pool(&[1, 2, 7], 3, Some(1), 0, 1, false),
    pool(&[2, 1, 7], 3, Some(2), 1, 1, false),
    pool(&[1, 2, 11], 3, Some(1), 1, 2, false),
    // (8 - 3) / 2 is not whole, so ceil mode adds a last window at 6..8.
    pool(&[2, 1, 8], 3, Some(2), 0, 1, true),
    pool(&[1, 2, 12], 3, Some(2), 1, 3, true),
    pool(&[3, 9], 2, Some(3), 1, 1, true),
    pool(&[2, 2, 7], 1, Some(2), 0, 1, false),
];

/// Distinct values 0.1 apart in random order, so no window ties and a
/// finite-difference step of 1e-6 never changes a window's argmax.
fn distinct_values(shape: &[usize], seed: u64) -> Tensor<f64> {
    let count: usize = shape.iter().product();
    let mut values: Vec<f64> = (0..count).map(|i| 0.1 * i as f64 - 0.05 * count as f64).collect();
    values.shuffle(&mut StdRng::seed_from_u64(seed));
    Tensor::from_vec(values, shape)
}

#[test]
fn max_pool1d_gradients_match_finite_differences() {
    let mut failures = Vec::new();
    for (index, case) in POOL_CASES.iter().enumerate() {
        let input = distinct_values(case.shape, index as u64);
        let forward = |t: &[Tensor<f64>]| max_pool1d(&t[0], case.kernel, case.options);
        if let Err(error) = check_gradients(forward, &[input], GradcheckOptions::default()) {
            failures.push(format!("{case:?}: {error}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} gradient checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Stride 1 and kernel 3 over (0, 5, 1, 2, 3): 5 wins the first two
/// windows and 3 the last, so 5's gradient is the sum of the first two
/// upstream values.
#[test]
fn max_pool1d_overlapping_windows_accumulate() {
    let x = Tensor::<f64>::from_vec(vec![0.0, 5.0, 1.0, 2.0, 3.0], &[1, 5]).requires_grad_(true);
    let (y, indices) = max_pool1d_with_indices(
        &x,
        3,
        MaxPool1dOptions {
            stride: Some(1),
            ..Default::default()
        },
    );

    y.backward_with_grad(array![[1.0, 10.0, 100.0]].into_dyn());

    assert_eq!(y.to_vec(), vec![5.0, 5.0, 3.0]);
    assert_eq!(indices.iter().copied().collect::<Vec<usize>>(), vec![1, 1, 4]);
    assert_eq!(
        x.grad().unwrap().iter().copied().collect::<Vec<f64>>(),
        vec![0.0, 11.0, 0.0, 0.0, 100.0]
    );
}

/// In ceil mode PyTorch's output length is ⌊(L + 2·padding - span +
/// stride - 1) / stride⌋ + 1 (`pooling_output_shape` in ATen), so a window
/// may reach past the padded input. Here L = 4, span 2·(3 - 1) + 1 = 5 and
/// stride 2 give ⌊1 / 2⌋ + 1 = 1 window, with taps at 0, 2 and 4; the tap
/// at 4 is past the end, so the window is max(1, 2) = 2 at index 2.
#[test]
fn max_pool1d_ceil_window_past_end() {
    let x = Tensor::<f64>::from_vec(vec![1.0, 3.0, 2.0, 5.0], &[1, 4]);
    let options = MaxPool1dOptions {
        stride: Some(2),
        dilation: 2,
        ceil_mode: true,
        ..Default::default()
    };

    let (y, indices) = max_pool1d_with_indices(&x, 3, options);

    assert_eq!(y.to_vec(), vec![2.0]);
    assert_eq!(indices.iter().copied().collect::<Vec<usize>>(), vec![2]);
}

#[test]
#[should_panic(expected = "max_pool1d: the dilated window is longer than the padded input")]
fn max_pool1d_window_past_end_without_ceil() {
    max_pool1d(
        &Tensor::<f64>::zeros(&[1, 4]),
        3,
        MaxPool1dOptions {
            stride: Some(2),
            dilation: 2,
            ..Default::default()
        },
    );
}

/// PyTorch accepts a zero size only in the batch dimension. With padding 1
/// and kernel 2, the output length formula alone would give one window that
/// is all padding.
#[test]
#[should_panic(expected = "max_pool1d: input length L must be positive")]
fn max_pool1d_zero_length_panics() {
    max_pool1d(
        &Tensor::<f64>::zeros(&[2, 0]),
        2,
        MaxPool1dOptions {
            padding: 1,
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------- FFT accuracy in f32

fn same_length_conv<T: Element>(x: &ArrayD<T>, w: &ArrayD<T>, algorithm: ConvAlgorithm) -> ArrayD<T> {
    let (x, w) = (Tensor::from_array(x.clone()), Tensor::from_array(w.clone()));
    conv1d(&x, &w, None, options(1, Padding::Same, 1, 1, algorithm)).to_array()
}

/// Lengths and kernel sizes of the accuracy table below.
const ACCURACY_LENGTHS: [usize; 4] = [64, 1_000, 16_000, 100_000];
const ACCURACY_KERNELS: [usize; 2] = [3, 64];

/// Measures how the error of the f32 FFT path grows with the signal length.
///
/// Input `(1, 4, L)` and weight `(4, 4, K)` contain U(-1, 1) values rounded
/// to f32, with `Padding::Same`. The reference is the f64 direct path on the
/// same values, widened exactly. Each error is max |y - reference| /
/// max |reference|. Measured with `cargo test --test conv fft_error_growth
/// -- --nocapture` on an x86_64 AMD EPYC. rustfft's planner picks AVX
/// kernels at run time when the CPU has AVX and FMA, so other CPUs may give
/// other digits.
///
/// | length  | kernel | f32 FFT | f32 direct | f64 FFT |
/// |---------|--------|---------|------------|---------|
/// |      64 |      3 |  1.5e-7 |     1.1e-7 | 4.2e-16 |
/// |      64 |     64 |  1.6e-7 |     3.8e-7 | 7.3e-16 |
/// |    1000 |      3 |  1.9e-7 |     1.2e-7 | 6.2e-16 |
/// |    1000 |     64 |  2.5e-7 |     5.1e-7 | 8.5e-16 |
/// |   16000 |      3 |  2.1e-7 |     1.2e-7 | 6.9e-16 |
/// |   16000 |     64 |  1.9e-7 |     4.4e-7 | 7.2e-16 |
/// |  100000 |      3 |  3.1e-7 |     1.3e-7 | 7.4e-16 |
/// |  100000 |     64 |  2.9e-7 |     7.0e-7 | 1.1e-15 |
///
/// The f32 FFT error roughly doubles from length 64 to 100 000. The f32
/// direct error grows mainly with the kernel size, which sets the number of
/// terms in each sum.
#[test]
fn fft_error_growth_f32() {
    println!("| length  | kernel | f32 FFT | f32 direct | f64 FFT |");
    println!("|---------|--------|---------|------------|---------|");
    for (row, &length) in ACCURACY_LENGTHS.iter().enumerate() {
        for &kernel in &ACCURACY_KERNELS {
            let seed = 100 + 2 * row as u64;
            let x32 = uniform::<f32>(&[1, 4, length], seed);
            let w32 = uniform::<f32>(&[4, 4, kernel], seed + 1);
            let (x64, w64) = (x32.mapv(f64::from), w32.mapv(f64::from));

            let reference = same_length_conv(&x64, &w64, ConvAlgorithm::Direct);
            let fft32 = relative_error(&same_length_conv(&x32, &w32, ConvAlgorithm::Fft), &reference);
            let direct32 = relative_error(&same_length_conv(&x32, &w32, ConvAlgorithm::Direct), &reference);
            let fft64 = relative_error(&same_length_conv(&x64, &w64, ConvAlgorithm::Fft), &reference);
            println!("| {length:>7} | {kernel:>6} | {fft32:>7.1e} | {direct32:>10.1e} | {fft64:>7.1e} |");

            assert!(
                fft32 < 1e-4,
                "f32 FFT error {fft32:e} at length {length}, kernel {kernel}"
            );
            assert!(
                fft64 < 1e-12,
                "f64 FFT error {fft64:e} at length {length}, kernel {kernel}"
            );
        }
    }
}

// ---------------------------------------------------------------------- conv1d as a Linear layer

/// A kernel-2, stride-2 convolution reads non-overlapping pairs of steps,
/// which is what FlattenConsecutive(2) followed by Linear computes. The
/// Linear weight (O, 2·C) has conv weight [o, c, j] in column j·C + c,
/// because FlattenConsecutive puts step 2t + j in columns j·C..(j + 1)·C.
#[test]
fn stride_two_conv_equals_flatten_linear() {
    let (batch, channels, outputs) = (3, 4, 5);
    for time in [2, 8] {
        for algorithm in [ConvAlgorithm::Direct, ConvAlgorithm::Fft] {
            manual_seed(7);
            let config = Conv1dConfig {
                stride: 2,
                bias: false,
                algorithm,
                ..Default::default()
            };
            let conv = Conv1d::<f64>::with_config(channels, outputs, 2, config);
            let linear = Linear::<f64>::without_bias(2 * channels, outputs);
            {
                let conv_weight = conv.weight.data();
                let mut linear_weight = linear.weight.data_mut();
                for o in 0..outputs {
                    for c in 0..channels {
                        for j in 0..2 {
                            linear_weight[[o, j * channels + c]] = conv_weight[[o, c, j]];
                        }
                    }
                }
            }
            let x = uniform::<f64>(&[batch, channels, time], 11);
            let conv_input = Tensor::from_array(x.clone()).requires_grad_(true);
            let linear_input =
                Tensor::from_array(x.view().permuted_axes(IxDyn(&[0, 2, 1])).to_owned()).requires_grad_(true);
            let label = format!("T = {time}, {algorithm:?}");

            let conv_output = conv.forward(&conv_input); // (B, O, T/2)
                                                         // (B, T/2, 2·C), or (B, 2·C) when T = 2
            let flattened = Module::<f64>::forward(&FlattenConsecutive::new(2), &linear_input);
            let linear_output = linear.forward(&flattened);
            let linear_output = linear_output.reshape(&[batch, time / 2, outputs]).permute(&[0, 2, 1]);

            assert_eq!(
                conv_output.shape(),
                vec![batch, outputs, time / 2],
                "{label}: conv output shape"
            );
            let error = max_abs_difference(&conv_output.to_array(), &linear_output.to_array());
            assert!(error <= 1e-12, "{label}: outputs differ by {error:e}");

            let upstream = uniform::<f64>(&[batch, outputs, time / 2], 12);
            conv_output.backward_with_grad(upstream.clone());
            linear_output.backward_with_grad(upstream);
            let conv_grad = conv_input.grad().unwrap();
            let linear_grad = linear_input.grad().unwrap().permuted_axes(IxDyn(&[0, 2, 1])).to_owned();
            let error = max_abs_difference(&conv_grad, &linear_grad);
            assert!(error <= 1e-12, "{label}: input gradients differ by {error:e}");

            let conv_weight_grad = conv.weight.grad().unwrap();
            let linear_weight_grad = linear.weight.grad().unwrap();
            let rearranged = ArrayD::from_shape_fn(IxDyn(&[outputs, channels, 2]), |index| {
                linear_weight_grad[[index[0], index[2] * channels + index[1]]]
            });
            let error = max_abs_difference(&conv_weight_grad, &rearranged);
            assert!(error <= 1e-12, "{label}: weight gradients differ by {error:e}");
        }
    }
}

// ---------------------------------------------------------------------- Same and Causal padding

/// (length, kernel, dilation) with odd and even kernels and dilated spans.
const SAME_CASES: [(usize, usize, usize); 8] = [
    (10, 3, 1),
    (10, 4, 1),
    (9, 4, 2),
    (7, 5, 3),
    (5, 2, 4),
    (1, 3, 1),
    (3, 8, 1),
    (6, 1, 1),
];

/// `Padding::Same` keeps the length and equals a valid convolution of the
/// input padded by hand as PyTorch's `padding="same"` pads: dilation·(K - 1)
/// zeros in all, with the odd one on the right.
#[test]
fn same_padding_keeps_length() {
    for (index, &(length, kernel, dilation)) in SAME_CASES.iter().enumerate() {
        let x = uniform::<f64>(&[2, 3, length], 20 + index as u64);
        let w = Tensor::from_array(uniform::<f64>(&[2, 3, kernel], 40 + index as u64));
        let total = dilation * (kernel - 1);
        let padded = Tensor::from_array(zero_pad(&x, total / 2, total - total / 2));
        let reference = conv1d(
            &padded,
            &w,
            None,
            options(1, Padding::Valid, dilation, 1, ConvAlgorithm::Direct),
        )
        .to_array();
        for algorithm in [ConvAlgorithm::Direct, ConvAlgorithm::Fft] {
            let label = format!("length {length}, kernel {kernel}, dilation {dilation}, {algorithm:?}");

            let y = conv1d(
                &Tensor::from_array(x.clone()),
                &w,
                None,
                options(1, Padding::Same, dilation, 1, algorithm),
            );

            assert_eq!(y.shape(), vec![2, 2, length], "{label}: shape");
            let error = max_abs_difference(&y.to_array(), &reference);
            assert!(
                error <= 1e-12,
                "{label}: differs from the hand-padded input by {error:e}"
            );
        }
    }
}

/// (length, kernel, dilation) for causal padding.
const CAUSAL_CASES: [(usize, usize, usize); 5] = [(12, 2, 1), (12, 3, 2), (9, 4, 3), (5, 7, 1), (1, 3, 2)];

#[test]
fn causal_padding_keeps_length() {
    for (index, &(length, kernel, dilation)) in CAUSAL_CASES.iter().enumerate() {
        let x = Tensor::from_array(uniform::<f64>(&[2, 2, length], 60 + index as u64));
        let w = Tensor::from_array(uniform::<f64>(&[3, 2, kernel], 80 + index as u64));
        for algorithm in [ConvAlgorithm::Direct, ConvAlgorithm::Fft] {
            let y = conv1d(&x, &w, None, options(1, Padding::Causal, dilation, 1, algorithm));
            assert_eq!(
                y.shape(),
                vec![2, 3, length],
                "length {length}, kernel {kernel}, dilation {dilation}, {algorithm:?}"
            );
        }
    }
}

/// Causal padding equals a valid convolution of the input with
/// dilation·(K - 1) zeros on the left only.
#[test]
fn causal_padding_pads_left() {
    for (index, &(length, kernel, dilation)) in CAUSAL_CASES.iter().enumerate() {
        let x = uniform::<f64>(&[2, 2, length], 60 + index as u64);
        let w = Tensor::from_array(uniform::<f64>(&[3, 2, kernel], 80 + index as u64));
        let padded = Tensor::from_array(zero_pad(&x, dilation * (kernel - 1), 0));
        let reference = conv1d(
            &padded,
            &w,
            None,
            options(1, Padding::Valid, dilation, 1, ConvAlgorithm::Direct),
        )
        .to_array();
        for algorithm in [ConvAlgorithm::Direct, ConvAlgorithm::Fft] {
            let y = conv1d(
                &Tensor::from_array(x.clone()),
                &w,
                None,
                options(1, Padding::Causal, dilation, 1, algorithm),
            );

            let error = max_abs_difference(&y.to_array(), &reference);
            assert!(
                error <= 1e-12,
                "length {length}, kernel {kernel}, dilation {dilation}, {algorithm:?}: error {error:e}"
            );
        }
    }
}

/// Changing every input after step t leaves outputs 0..=t unchanged: exactly
/// on the direct path, and to rounding on the FFT path, whose transforms mix
/// all positions.
#[test]
fn causal_output_ignores_later_inputs() {
    for (index, &(length, kernel, dilation)) in CAUSAL_CASES.iter().enumerate() {
        let x = uniform::<f64>(&[2, 2, length], 60 + index as u64);
        let w = Tensor::from_array(uniform::<f64>(&[3, 2, kernel], 80 + index as u64));
        let noise = uniform::<f64>(&[2, 2, length], 90 + index as u64);
        for (algorithm, tolerance) in [(ConvAlgorithm::Direct, 0.0), (ConvAlgorithm::Fft, 1e-12)] {
            let conv_options = options(1, Padding::Causal, dilation, 1, algorithm);
            let original = conv1d(&Tensor::from_array(x.clone()), &w, None, conv_options).to_array();
            for t in 0..length {
                let mut perturbed = x.clone();
                perturbed
                    .slice_mut(s![.., .., t + 1..])
                    .scaled_add(10.0, &noise.slice(s![.., .., t + 1..]));
                let changed = conv1d(&Tensor::from_array(perturbed), &w, None, conv_options).to_array();

                let up_to_t = |y: &ArrayD<f64>| y.slice(s![.., .., ..=t]).into_dyn().to_owned();
                let error = max_abs_difference(&up_to_t(&changed), &up_to_t(&original));
                assert!(
                    error <= tolerance * max_abs(&original),
                    "length {length}, kernel {kernel}, dilation {dilation}, {algorithm:?}: outputs up to step {t} changed by {error:e}"
                );
            }
        }
    }
}

/// Rows (length, kernel, stride, padding, dilation, expected length). The
/// expected values are worked out by hand from PyTorch's formula
/// ⌊(L + pad_left + pad_right - dilation·(K - 1) - 1) / stride⌋ + 1, with
/// Same and Causal padding dilation·(K - 1) zeros in all.
#[rustfmt::skip]
const OUTPUT_LENGTH_CASES: [(usize, usize, usize, Padding, usize, usize); 13] = [
    (5, 3, 1, Padding::Zeros(0), 1, 3),   // (5 - 2 - 1) / 1 + 1
    (40, 7, 3, Padding::Zeros(2), 2, 11), // (40 + 4 - 12 - 1) / 3 + 1 = 10 + 1
    (1, 1, 3, Padding::Zeros(0), 1, 1),   // 0 / 3 + 1
    (10, 3, 2, Padding::Zeros(1), 1, 5),  // (10 + 2 - 2 - 1) / 2 + 1 = 4 + 1
    (7, 7, 1, Padding::Zeros(1), 1, 3),   // (7 + 2 - 6 - 1) / 1 + 1
    (9, 4, 2, Padding::Zeros(2), 3, 2),   // (9 + 4 - 9 - 1) / 2 + 1 = 1 + 1
    (8, 2, 1, Padding::Zeros(1), 1, 9),   // (8 + 2 - 1 - 1) / 1 + 1
    (3, 1, 4, Padding::Zeros(0), 1, 1),   // (3 - 0 - 1) / 4 + 1 = 0 + 1
    (6, 2, 1, Padding::Valid, 1, 5),      // (6 - 1 - 1) / 1 + 1
    (10, 4, 1, Padding::Same, 2, 10),     // (10 + 6 - 6 - 1) / 1 + 1
    (10, 3, 1, Padding::Causal, 2, 10),   // (10 + 4 - 4 - 1) / 1 + 1
    (10, 2, 3, Padding::Causal, 1, 4),    // (10 + 1 - 1 - 1) / 3 + 1 = 3 + 1
    (7, 3, 2, Padding::Causal, 3, 4),     // (7 + 6 - 6 - 1) / 2 + 1 = 3 + 1
];

#[test]
fn output_length_matches_pytorch_formula() {
    for &(length, kernel, stride, padding, dilation, expected) in &OUTPUT_LENGTH_CASES {
        let conv_options = options(stride, padding, dilation, 1, ConvAlgorithm::Direct);
        assert_eq!(
            conv1d_output_length(length, kernel, &conv_options),
            expected,
            "length {length}, kernel {kernel}, {conv_options:?}"
        );
    }
}

#[test]
fn output_shape_matches_output_length() {
    for &(length, kernel, stride, padding, dilation, expected) in &OUTPUT_LENGTH_CASES {
        let conv_options = options(stride, padding, dilation, 1, ConvAlgorithm::Direct);
        let y = conv1d(
            &Tensor::<f64>::zeros(&[1, 1, length]),
            &Tensor::zeros(&[1, 1, kernel]),
            None,
            conv_options,
        );
        assert_eq!(
            y.shape(),
            vec![1, 1, expected],
            "length {length}, kernel {kernel}, {conv_options:?}"
        );
    }
}

// ---------------------------------------------------------------------- nn::Conv1d

#[test]
fn conv1d_module_parameter_shapes() {
    let conv = Conv1d::<f32>::with_config(
        6,
        4,
        5,
        Conv1dConfig {
            groups: 2,
            ..Default::default()
        },
    );

    assert_eq!(conv.weight.shape(), vec![4, 3, 5]);
    assert_eq!(conv.bias.as_ref().map(Tensor::shape), Some(vec![4]));
    assert_eq!((conv.in_channels(), conv.out_channels(), conv.kernel_size()), (6, 4, 5));
    assert_eq!(conv.num_parameters(), 4 * 3 * 5 + 4);
}

#[test]
fn conv1d_module_without_bias() {
    let conv = Conv1d::<f32>::with_config(
        3,
        2,
        4,
        Conv1dConfig {
            bias: false,
            ..Default::default()
        },
    );

    assert!(conv.bias.is_none());
    let names: Vec<String> = conv.named_parameters().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, vec!["weight".to_string()]);
    assert_eq!(conv.num_parameters(), 2 * 3 * 4);
}

/// Weight and bias start as U(-1/√fan_in, 1/√fan_in) with fan_in =
/// in_channels / groups · kernel_size, PyTorch's default: every value lies
/// inside the bound, and with 2048 draws the largest comes within 10% of it.
#[test]
fn conv1d_module_init_bounds() {
    manual_seed(3);
    let conv = Conv1d::<f64>::with_config(
        16,
        64,
        4,
        Conv1dConfig {
            groups: 2,
            ..Default::default()
        },
    );
    let bound = 1.0 / ((16 / 2 * 4) as f64).sqrt();
    let weight = conv.weight.to_array();
    let bias = conv.bias.as_ref().unwrap().to_array();

    assert!(
        max_abs(&weight) <= bound,
        "weight reaches {} beyond the bound {bound}",
        max_abs(&weight)
    );
    assert!(
        max_abs(&weight) >= 0.9 * bound,
        "weight only reaches {} of the bound {bound}",
        max_abs(&weight)
    );
    assert!(
        max_abs(&bias) <= bound,
        "bias reaches {} beyond the bound {bound}",
        max_abs(&bias)
    );
}

/// The module's `algorithm` reaches conv1d: its output is bit for bit that
/// of conv1d with the same algorithm, also after changing the setting.
#[test]
fn conv1d_module_uses_algorithm() {
    manual_seed(5);
    let config = Conv1dConfig {
        padding: Padding::Same,
        dilation: 2,
        algorithm: ConvAlgorithm::Direct,
        ..Default::default()
    };
    let mut conv = Conv1d::<f64>::with_config(3, 4, 9, config);
    let x = Tensor::from_array(uniform::<f64>(&[2, 3, 50], 31));
    let functional = |algorithm| {
        conv1d(
            &x,
            &conv.weight,
            conv.bias.as_ref(),
            Conv1dOptions {
                algorithm,
                ..conv.options
            },
        )
        .to_array()
    };
    let (direct, fft) = (functional(ConvAlgorithm::Direct), functional(ConvAlgorithm::Fft));

    let module_direct = conv.forward(&x).to_array();
    conv.options.algorithm = ConvAlgorithm::Fft;
    let module_fft = conv.forward(&x).to_array();

    assert_eq!(module_direct, direct);
    assert_eq!(module_fft, fft);
    // The two paths round differently, so the two checks above can tell
    // which path ran.
    assert_ne!(direct, fft);
    assert!(
        max_abs_difference(&direct, &fft) <= 1e-12 * max_abs(&direct),
        "paths differ by {:e}",
        max_abs_difference(&direct, &fft)
    );
}

#[test]
fn conv1d_module_unbatched_input() {
    manual_seed(9);
    let conv = Conv1d::<f64>::new(3, 2, 3);
    let x = uniform::<f64>(&[3, 10], 32);

    let unbatched = conv.forward(&Tensor::from_array(x.clone()));
    let batched = conv.forward(&Tensor::from_array(x.insert_axis(Axis(0))));

    assert_eq!(unbatched.shape(), vec![2, 8]);
    assert_eq!(unbatched.to_vec(), batched.to_vec());
}

#[test]
#[should_panic(expected = "Conv1d: in_channels must be positive, got 0")]
fn conv1d_module_zero_in_channels() {
    Conv1d::<f32>::new(0, 4, 3);
}

#[test]
#[should_panic(expected = "Conv1d: out_channels must be positive, got 0")]
fn conv1d_module_zero_out_channels() {
    Conv1d::<f32>::new(4, 0, 3);
}

#[test]
#[should_panic(expected = "Conv1d: kernel_size must be positive, got 0")]
fn conv1d_module_zero_kernel() {
    Conv1d::<f32>::new(4, 4, 0);
}

#[test]
#[should_panic(expected = "Conv1d: groups = 4 must divide both in_channels = 6 and out_channels = 8")]
fn conv1d_module_groups_not_dividing_in() {
    Conv1d::<f32>::with_config(
        6,
        8,
        3,
        Conv1dConfig {
            groups: 4,
            ..Default::default()
        },
    );
}

#[test]
#[should_panic(expected = "Conv1d: groups = 2 must divide both in_channels = 4 and out_channels = 3")]
fn conv1d_module_groups_not_dividing_out() {
    Conv1d::<f32>::with_config(
        4,
        3,
        3,
        Conv1dConfig {
            groups: 2,
            ..Default::default()
        },
    );
}

#[test]
#[should_panic(
    expected = "Conv1d: kernel_size 5 with dilation 2 spans 9 steps, longer than the padded input (6 + 2 padding)"
)]
fn conv1d_module_kernel_longer_than_input() {
    let conv = Conv1d::<f32>::with_config(
        1,
        1,
        5,
        Conv1dConfig {
            dilation: 2,
            padding: Padding::Zeros(1),
            ..Default::default()
        },
    );
    conv.forward(&Tensor::zeros(&[1, 1, 6]));
}

#[test]
#[should_panic(expected = "Conv1d: expected input (N, C_in, L) or (C_in, L), got shape [2, 3, 4, 5]")]
fn conv1d_module_wrong_rank() {
    Conv1d::<f32>::new(3, 2, 2).forward(&Tensor::zeros(&[2, 3, 4, 5]));
}

#[test]
#[should_panic(expected = "Conv1d: input of shape [2, 4, 10] has 4 channels, expected in_channels = 3")]
fn conv1d_module_wrong_channels() {
    Conv1d::<f32>::new(3, 2, 2).forward(&Tensor::zeros(&[2, 4, 10]));
}

#[test]
#[should_panic(expected = "Conv1d: padding Same needs stride 1, got stride 2")]
fn conv1d_module_same_with_stride() {
    Conv1d::<f32>::with_config(
        3,
        2,
        3,
        Conv1dConfig {
            padding: Padding::Same,
            stride: 2,
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------- nn::MaxPool1d

/// Without a stride, windows do not overlap: (1, 5, 2 | 3, 0, 4 | 7, 6, 8)
/// pools to (5, 4, 8).
#[test]
fn max_pool1d_module_default_stride() {
    let pool = MaxPool1d::new(3);
    let x = Tensor::<f64>::from_vec(vec![1.0, 5.0, 2.0, 3.0, 0.0, 4.0, 7.0, 6.0, 8.0], &[1, 1, 9]);

    let y = Module::<f64>::forward(&pool, &x);

    assert_eq!(pool.options.stride, None);
    assert_eq!(y.to_vec(), vec![5.0, 4.0, 8.0]);
}

#[test]
#[should_panic(expected = "MaxPool1d: kernel_size must be positive, got 0")]
fn max_pool1d_module_zero_kernel() {
    MaxPool1d::new(0);
}

#[test]
#[should_panic(expected = "MaxPool1d: padding 2 must be at most half of kernel_size 3")]
fn max_pool1d_module_padding_over_half() {
    MaxPool1d::with_options(
        3,
        MaxPool1dOptions {
            padding: 2,
            ..Default::default()
        },
    );
}

#[test]
#[should_panic(expected = "MaxPool1d: stride must be positive, got 0")]
fn max_pool1d_module_zero_stride() {
    MaxPool1d::with_options(
        2,
        MaxPool1dOptions {
            stride: Some(0),
            ..Default::default()
        },
    );
}
