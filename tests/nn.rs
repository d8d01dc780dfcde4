//! Behaviour of the `nn` modules, the WaveNet model, the `Sgd` optimizer and
//! seeding, checked against values derived by hand or computed with plain
//! ndarray loops in the test itself.

use convgrad::data::{Corpus, Dataset};
use convgrad::models::{WaveNet, WaveNetConfig};
use convgrad::nn::{
    BatchNorm1d, BatchNorm1dConfig, Embedding, FlattenConsecutive, Layout, Linear, Module, Sequential, Tanh,
};
use convgrad::ops::{cross_entropy, CrossEntropyOptions};
use convgrad::optim::{Sgd, SgdConfig};
use convgrad::{manual_seed, no_grad, Tensor};
use ndarray::{array, ArrayD, Axis, IxDyn};
use rand::rngs::StdRng;
use rand::SeedableRng;

const EPS: f64 = 1e-5;
const MOMENTUM: f64 = 0.1;

#[track_caller]
fn assert_close(actual: f64, expected: f64, tolerance: f64, label: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{label}: got {actual}, expected {expected} (tolerance {tolerance})"
    );
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "compared slices differ in length");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

// ---------------------------------------------------------------- BatchNorm1d

/// Returns the channel index of each element of an input of `shape`, in
/// row-major order, by reading the channel axis that `layout` names.
fn channel_of_each_element(shape: &[usize], layout: Layout) -> Vec<usize> {
    let channel_axis = match (shape.len(), layout) {
        (2, _) => 1,
        (3, Layout::ChannelsFirst) => 1,
        (3, Layout::ChannelsLast) => 2,
        _ => panic!("test inputs are 2-D or 3-D, got shape {shape:?}"),
    };
    let zeros = ArrayD::<f64>::zeros(IxDyn(shape));
    zeros.indexed_iter().map(|(index, _)| index[channel_axis]).collect()
}

/// Computes the per-channel mean, biased variance and unbiased variance with loops.
fn channel_statistics(input: &ArrayD<f64>, layout: Layout, channels: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let channel_of = channel_of_each_element(input.shape(), layout);
    let mut sums = vec![0.0; channels];
    let mut counts = vec![0usize; channels];
    for (&value, &c) in input.iter().zip(&channel_of) {
        sums[c] += value;
        counts[c] += 1;
    }
    let means: Vec<f64> = (0..channels).map(|c| sums[c] / counts[c] as f64).collect();
    let mut squares = vec![0.0; channels];
    for (&value, &c) in input.iter().zip(&channel_of) {
        squares[c] += (value - means[c]) * (value - means[c]);
    }
    let biased = (0..channels).map(|c| squares[c] / counts[c] as f64).collect();
    let unbiased = (0..channels).map(|c| squares[c] / (counts[c] - 1) as f64).collect();
    (means, biased, unbiased)
}

/// Normalises each element with the given per-channel statistics, then
/// applies weight and bias, element by element.
fn normalise_with(
    input: &ArrayD<f64>,
    layout: Layout,
    mean: &[f64],
    variance: &[f64],
    weight: &[f64],
    bias: &[f64],
) -> Vec<f64> {
    let channel_of = channel_of_each_element(input.shape(), layout);
    input
        .iter()
        .zip(&channel_of)
        .map(|(&x, &c)| (x - mean[c]) / (variance[c] + EPS).sqrt() * weight[c] + bias[c])
        .collect()
}

/// Builds a deterministic input whose channels have distinct means and
/// spreads, so that statistics taken over the wrong axis give other numbers.
fn known_input(shape: &[usize], layout: Layout, pass: usize) -> ArrayD<f64> {
    let channel_of = channel_of_each_element(shape, layout);
    let values = channel_of
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let wobble = ((i * 7 + pass * 5) % 11) as f64 / 3.0;
            (c as f64 + 1.0) * wobble - 2.0 * c as f64 + pass as f64 * 0.5
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), values).expect("value count matches shape")
}

fn channels_last() -> BatchNorm1dConfig {
    BatchNorm1dConfig {
        layout: Layout::ChannelsLast,
        ..BatchNorm1dConfig::default()
    }
}

/// Runs three training passes on known inputs and compares the running
/// statistics with `running = 0.9·running + 0.1·batch` computed by loops.
fn check_running_statistics(shape: &[usize], config: BatchNorm1dConfig, channels: usize) {
    let bn = BatchNorm1d::<f64>::with_config(channels, config);
    let mut expected_mean = vec![0.0; channels];
    let mut expected_var = vec![1.0; channels];
    for pass in 0..3 {
        let input = known_input(shape, config.layout, pass);
        bn.forward(&Tensor::from_array(input.clone()));
        let (mean, _, unbiased) = channel_statistics(&input, config.layout, channels);
        for c in 0..channels {
            expected_mean[c] = (1.0 - MOMENTUM) * expected_mean[c] + MOMENTUM * mean[c];
            expected_var[c] = (1.0 - MOMENTUM) * expected_var[c] + MOMENTUM * unbiased[c];
        }
    }

    let running_mean = bn.running_mean.as_ref().expect("tracked by default").to_vec();
    let running_var = bn.running_var.as_ref().expect("tracked by default").to_vec();
    for c in 0..channels {
        assert_close(running_mean[c], expected_mean[c], 1e-12, &format!("running_mean[{c}]"));
        assert_close(running_var[c], expected_var[c], 1e-12, &format!("running_var[{c}]"));
    }
}

#[test]
fn batchnorm_running_stats_2d() {
    check_running_statistics(&[6, 3], BatchNorm1dConfig::default(), 3);
}

#[test]
fn batchnorm_running_stats_channels_first() {
    check_running_statistics(&[4, 3, 5], BatchNorm1dConfig::default(), 3);
}

#[test]
fn batchnorm_running_stats_channels_last() {
    check_running_statistics(&[4, 5, 3], channels_last(), 3);
}

#[test]
fn batchnorm_eval_uses_running_stats() {
    let channels = 3;
    let mut bn = BatchNorm1d::<f64>::with_config(channels, channels_last());
    let weight = vec![1.5, -0.5, 2.0];
    let bias = vec![0.1, 0.2, -0.3];
    bn.weight
        .as_ref()
        .expect("affine by default")
        .data_mut()
        .assign(&ArrayD::from_shape_vec(IxDyn(&[3]), weight.clone()).unwrap());
    bn.bias
        .as_ref()
        .expect("affine by default")
        .data_mut()
        .assign(&ArrayD::from_shape_vec(IxDyn(&[3]), bias.clone()).unwrap());
    for pass in 0..3 {
        bn.forward(&Tensor::from_array(known_input(&[4, 5, 3], Layout::ChannelsLast, pass)));
    }

    bn.eval();
    let running_mean = bn.running_mean.as_ref().unwrap().to_vec();
    let running_var = bn.running_var.as_ref().unwrap().to_vec();
    let input = known_input(&[2, 4, 3], Layout::ChannelsLast, 7);
    let output = bn.forward(&Tensor::from_array(input.clone())).to_vec();

    let expected = normalise_with(
        &input,
        Layout::ChannelsLast,
        &running_mean,
        &running_var,
        &weight,
        &bias,
    );
    assert!(
        max_abs_diff(&output, &expected) < 1e-12,
        "eval output {output:?} differs from {expected:?}"
    );
    assert_eq!(
        bn.running_mean.as_ref().unwrap().to_vec(),
        running_mean,
        "eval changed running_mean"
    );
    assert_eq!(
        bn.running_var.as_ref().unwrap().to_vec(),
        running_var,
        "eval changed running_var"
    );
}

#[test]
fn batchnorm_train_output_normalised() {
    let channels = 3;
    let bn = BatchNorm1d::<f64>::with_config(channels, channels_last());
    let input = known_input(&[4, 5, 3], Layout::ChannelsLast, 1);
    let output = bn.forward(&Tensor::from_array(input)).to_array();

    let (mean, biased, _) = channel_statistics(&output, Layout::ChannelsLast, channels);
    for c in 0..channels {
        assert_close(mean[c], 0.0, 1e-9, &format!("output mean of channel {c}"));
        // The eps in the denominator makes the variance slightly below 1.
        assert_close(biased[c], 1.0, 1e-4, &format!("output biased variance of channel {c}"));
    }
}

#[test]
fn batchnorm_train_differs_from_eval() {
    let mut bn = BatchNorm1d::<f64>::new(3);
    let input = Tensor::from_array(known_input(&[4, 3, 5], Layout::ChannelsFirst, 2));
    let train_output = bn.forward(&input).to_vec();
    bn.eval();
    let eval_output = bn.forward(&input).to_vec();

    // After one pass the running statistics are 0.9·(0, 1) + 0.1·batch, far
    // from the batch statistics, so the outputs differ by much more than rounding.
    assert!(
        max_abs_diff(&train_output, &eval_output) > 0.1,
        "train and eval outputs are equal: {train_output:?}"
    );
}

#[test]
fn batchnorm_untracked_eval_uses_batch() {
    let config = BatchNorm1dConfig {
        track_running_stats: false,
        ..BatchNorm1dConfig::default()
    };
    let mut bn = BatchNorm1d::<f64>::with_config(3, config);
    assert!(
        bn.running_mean.is_none(),
        "running_mean exists without track_running_stats"
    );
    assert!(
        bn.running_var.is_none(),
        "running_var exists without track_running_stats"
    );

    bn.eval();
    let input = known_input(&[4, 3, 5], Layout::ChannelsFirst, 3);
    let output = bn.forward(&Tensor::from_array(input.clone())).to_vec();
    let (mean, biased, _) = channel_statistics(&input, Layout::ChannelsFirst, 3);
    let expected = normalise_with(&input, Layout::ChannelsFirst, &mean, &biased, &[1.0; 3], &[0.0; 3]);
    assert!(
        max_abs_diff(&output, &expected) < 1e-12,
        "eval output {output:?} differs from {expected:?}"
    );
}

#[test]
fn batchnorm_without_affine_has_no_parameters() {
    let config = BatchNorm1dConfig {
        affine: false,
        ..BatchNorm1dConfig::default()
    };
    let bn = BatchNorm1d::<f32>::with_config(4, config);
    assert!(bn.named_parameters().is_empty(), "affine = false still has parameters");
    assert_eq!(bn.num_parameters(), 0);
}

#[test]
fn batchnorm_named_buffers() {
    let bn = BatchNorm1d::<f32>::new(4);
    let names: Vec<String> = bn.named_buffers().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["running_mean", "running_var"]);
}

#[test]
#[should_panic(expected = "BatchNorm1d: num_features must be positive, got 0")]
fn batchnorm_zero_features_panics() {
    BatchNorm1d::<f32>::new(0);
}

#[test]
#[should_panic(expected = "BatchNorm1d: momentum must lie in [0, 1], got 1.5")]
fn batchnorm_momentum_above_one_panics() {
    BatchNorm1d::<f32>::with_config(
        3,
        BatchNorm1dConfig {
            momentum: 1.5,
            ..BatchNorm1dConfig::default()
        },
    );
}

#[test]
#[should_panic(expected = "BatchNorm1d: input of shape [4, 2] has 2 channels")]
fn batchnorm_wrong_channel_count_panics() {
    BatchNorm1d::<f32>::new(3).forward(&Tensor::zeros(&[4, 2]));
}

#[test]
#[should_panic(expected = "BatchNorm1d: expected a 2-D or 3-D input")]
fn batchnorm_4d_input_panics() {
    BatchNorm1d::<f32>::new(3).forward(&Tensor::zeros(&[2, 3, 4, 5]));
}

#[test]
#[should_panic(expected = "expected more than 1 value per channel when training")]
fn batchnorm_single_value_training_panics() {
    BatchNorm1d::<f32>::new(3).forward(&Tensor::zeros(&[1, 3]));
}

// ---------------------------------------------------------------- Embedding

#[test]
fn embedding_rows_equal_weight_rows() {
    let table = Embedding::<f64>::new(5, 3);
    let indices = array![[4usize, 0], [2, 4]].into_dyn();
    let output = table.forward(&indices).to_array();
    let weight = table.weight.to_array();

    assert_eq!(output.shape(), &[2, 2, 3]);
    for ((i, j), &row) in indices
        .clone()
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .indexed_iter()
    {
        for k in 0..3 {
            assert_eq!(
                output[[i, j, k]],
                weight[[row, k]],
                "output[{i}, {j}, {k}] is not weight[{row}, {k}]"
            );
        }
    }
}

#[test]
fn embedding_repeated_index_accumulates() {
    let table = Embedding::<f64>::new(5, 2);
    let output = table.forward(&array![1usize, 1, 3, 1].into_dyn());
    let upstream = array![[1.0, 2.0], [10.0, 20.0], [100.0, 200.0], [1000.0, 2000.0]].into_dyn();
    output.backward_with_grad(upstream);

    // hand-derived: row 1 is looked up at positions 0, 1 and 3, row 3 at position 2.
    let expected = array![[0.0, 0.0], [1011.0, 2022.0], [0.0, 0.0], [100.0, 200.0], [0.0, 0.0]].into_dyn();
    assert_eq!(table.weight.grad().expect("weight has a gradient"), expected);
}

#[test]
fn embedding_padding_row_gets_no_gradient() {
    let mut table = Embedding::<f64>::new(4, 2);
    table.padding_idx = Some(1);
    let output = table.forward(&array![1usize, 2, 1].into_dyn());
    output.sum_all().backward();

    let grad = table.weight.grad().expect("weight has a gradient");
    assert_eq!(
        grad.index_axis(Axis(0), 1).iter().copied().collect::<Vec<f64>>(),
        vec![0.0, 0.0],
        "padding row received a gradient"
    );
    assert_eq!(
        grad.index_axis(Axis(0), 2).iter().copied().collect::<Vec<f64>>(),
        vec![1.0, 1.0],
        "looked-up row lost its gradient"
    );
}

#[test]
#[should_panic(expected = "embedding: index 5 at flat position 2 is out of range for 5 embeddings")]
fn embedding_index_out_of_range_panics() {
    Embedding::<f32>::new(5, 2).forward(&array![0usize, 4, 5].into_dyn());
}

// ---------------------------------------------------------------- Linear

#[test]
fn linear_weight_shape_out_in() {
    let layer = Linear::<f32>::new(7, 3);
    assert_eq!(layer.weight.shape(), vec![3, 7]);
    assert_eq!(layer.bias.as_ref().expect("bias by default").shape(), vec![3]);
}

#[test]
fn linear_default_init_bounds() {
    manual_seed(11);
    let layer = Linear::<f64>::new(50, 40);
    // hand-derived: torch's default bound for weight and bias is 1/√in_features.
    let bound = 1.0 / 50f64.sqrt();
    let weight = layer.weight.to_vec();
    let bias = layer.bias.as_ref().unwrap().to_vec();
    let max_weight = weight.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    let max_bias = bias.iter().fold(0.0f64, |m, b| m.max(b.abs()));

    assert!(max_weight <= bound, "weight {max_weight} outside ±{bound}");
    assert!(max_bias <= bound, "bias {max_bias} outside ±{bound}");
    // 2000 uniform draws nearly reach the bound, so a much smaller spread means a wrong scale.
    assert!(max_weight > 0.9 * bound, "weights span only ±{max_weight} of ±{bound}");
}

#[test]
fn linear_without_bias_one_parameter() {
    let layer = Linear::<f32>::without_bias(4, 3);
    let names: Vec<String> = layer.named_parameters().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["weight"]);
    assert_eq!(layer.num_parameters(), 12);
}

/// Computes x·Wᵀ + b over the last dimension with loops.
fn linear_by_loops(x: &ArrayD<f64>, weight: &ArrayD<f64>, bias: &[f64]) -> Vec<f64> {
    let in_features = weight.shape()[1];
    let out_features = weight.shape()[0];
    let flat: Vec<f64> = x.iter().copied().collect();
    let mut out = Vec::new();
    for row in flat.chunks(in_features) {
        for o in 0..out_features {
            let mut sum = bias[o];
            for i in 0..in_features {
                sum += row[i] * weight[[o, i]];
            }
            out.push(sum);
        }
    }
    out
}

#[test]
fn linear_forward_matches_loops() {
    let layer = Linear::<f64>::new(4, 3);
    let x = ArrayD::from_shape_fn(IxDyn(&[5, 4]), |i| (i[0] as f64 - 2.0) * 0.7 + i[1] as f64 * 0.3);
    let output = layer.forward(&Tensor::from_array(x.clone()));
    let expected = linear_by_loops(&x, &layer.weight.to_array(), &layer.bias.as_ref().unwrap().to_vec());

    assert_eq!(output.shape(), vec![5, 3]);
    assert!(
        max_abs_diff(&output.to_vec(), &expected) < 1e-12,
        "got {:?}, expected {expected:?}",
        output.to_vec()
    );
}

#[test]
fn linear_3d_input() {
    let layer = Linear::<f64>::new(4, 3);
    let x = ArrayD::from_shape_fn(IxDyn(&[2, 5, 4]), |i| {
        i[0] as f64 - 0.5 * i[1] as f64 + 0.25 * i[2] as f64
    });
    let output = layer.forward(&Tensor::from_array(x.clone()));
    let expected = linear_by_loops(&x, &layer.weight.to_array(), &layer.bias.as_ref().unwrap().to_vec());

    assert_eq!(output.shape(), vec![2, 5, 3]);
    assert!(
        max_abs_diff(&output.to_vec(), &expected) < 1e-12,
        "got {:?}, expected {expected:?}",
        output.to_vec()
    );
}

#[test]
#[should_panic(expected = "linear: input shape [2, 5] must end in in_features = 4")]
fn linear_in_features_mismatch_panics() {
    Linear::<f32>::new(4, 3).forward(&Tensor::zeros(&[2, 5]));
}

// ---------------------------------------------------------------- shared parameters

#[test]
fn linear_applied_twice_sums_gradients() {
    let layer = Linear::<f64>::new(1, 1);
    layer.weight.data_mut().fill(3.0);
    layer.bias.as_ref().unwrap().data_mut().fill(0.5);
    let x = Tensor::from_vec(vec![2.0], &[1, 1]);
    let y = layer.forward(&layer.forward(&x)); // y = w·(w·x + b) + b
    y.sum_all().backward();

    // hand-derived: dy/dw = (w·x + b) + w·x = 6.5 + 6 = 12.5, dy/db = w + 1 = 4.
    assert_eq!(layer.weight.grad().unwrap().into_raw_vec_and_offset().0, vec![12.5]);
    assert_eq!(
        layer.bias.as_ref().unwrap().grad().unwrap().into_raw_vec_and_offset().0,
        vec![4.0]
    );
}

#[test]
fn weight_in_two_ops_sums_gradients() {
    let w = Tensor::<f64>::from_vec(vec![1.0, -2.0, 3.0], &[3]).requires_grad_(true);
    let x = Tensor::from_vec(vec![4.0, 5.0, 6.0], &[3]);
    let loss = (&w * &x).sum_all() + (&w * &w).sum_all();
    loss.backward();

    // hand-derived: d/dw [Σ w·x + Σ w²] = x + 2w = [4 + 2, 5 - 4, 6 + 6].
    assert_eq!(w.grad().unwrap().into_raw_vec_and_offset().0, vec![6.0, 1.0, 12.0]);
}

// ---------------------------------------------------------------- FlattenConsecutive

fn counting_input(shape: &[usize]) -> ArrayD<f32> {
    let count: usize = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..count).map(|v| v as f32).collect()).unwrap()
}

#[test]
fn flatten_consecutive_places_elements() {
    let (batch, time, channels) = (2, 6, 3);
    for n in [2, 3] {
        let input = counting_input(&[batch, time, channels]);
        let output = FlattenConsecutive::new(n)
            .forward(&Tensor::from_array(input.clone()))
            .to_array();
        assert_eq!(output.shape(), &[batch, time / n, n * channels], "shape for n = {n}");
        for b in 0..batch {
            for t in 0..time / n {
                for j in 0..n {
                    for c in 0..channels {
                        assert_eq!(
                            output[[b, t, j * channels + c]],
                            input[[b, n * t + j, c]],
                            "n = {n}: output[{b}, {t}, {}] should be input[{b}, {}, {c}]",
                            j * channels + c,
                            n * t + j
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn flatten_consecutive_drops_time_dim() {
    let input = counting_input(&[2, 4, 3]);
    let output = FlattenConsecutive::new(4)
        .forward(&Tensor::from_array(input.clone()))
        .to_array();
    assert_eq!(output.shape(), &[2, 12]);
    for b in 0..2 {
        for j in 0..4 {
            for c in 0..3 {
                assert_eq!(
                    output[[b, j * 3 + c]],
                    input[[b, j, c]],
                    "output[{b}, {}] should be input[{b}, {j}, {c}]",
                    j * 3 + c
                );
            }
        }
    }
}

#[test]
#[should_panic(expected = "FlattenConsecutive: T = 5 is not divisible by n = 2")]
fn flatten_consecutive_indivisible_panics() {
    FlattenConsecutive::new(2).forward(&Tensor::<f32>::zeros(&[3, 5, 4]));
}

#[test]
#[should_panic(expected = "FlattenConsecutive: n must be positive, got 0")]
fn flatten_consecutive_zero_n_panics() {
    FlattenConsecutive::new(0);
}

// ---------------------------------------------------------------- Sequential

fn small_stack() -> Sequential<f64> {
    Sequential::new()
        .push(Linear::new(3, 4))
        .push(Tanh)
        .push(BatchNorm1d::new(4))
        .push(Linear::new(4, 2))
}

#[test]
fn sequential_parameter_names() {
    let names: Vec<String> = small_stack()
        .named_parameters()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]
    );
}

#[test]
fn sequential_num_parameters_sums() {
    // hand-derived: Linear(3, 4) 12 + 4, BatchNorm1d(4) 4 + 4, Linear(4, 2) 8 + 2.
    assert_eq!(small_stack().num_parameters(), 34);
}

#[test]
fn sequential_mode_reaches_nested_batchnorm() {
    let inner = Sequential::<f64>::new()
        .push(Linear::new(3, 4))
        .push(BatchNorm1d::new(4));
    let mut model = Sequential::new().push(inner).push(Tanh);
    let (name, running_mean) = model
        .named_buffers()
        .into_iter()
        .next()
        .expect("the nested BatchNorm1d has buffers");
    assert_eq!(name, "0.1.running_mean");
    let input = Tensor::from_array(ArrayD::from_shape_fn(IxDyn(&[5, 3]), |i| {
        i[0] as f64 * 0.4 - i[1] as f64
    }));

    model.eval();
    model.forward(&input);
    assert_eq!(
        running_mean.to_vec(),
        vec![0.0; 4],
        "eval() did not reach the nested BatchNorm1d"
    );

    model.train();
    model.forward(&input);
    assert_ne!(
        running_mean.to_vec(),
        vec![0.0; 4],
        "train() did not reach the nested BatchNorm1d"
    );
}

// ---------------------------------------------------------------- WaveNet

fn corpus_batch(block_size: usize, batch_size: usize, seed: u64) -> (ArrayD<usize>, ndarray::Array1<usize>) {
    let corpus = Corpus::embedded();
    let dataset = Dataset::new(corpus.words(), corpus.vocab(), block_size).expect("the embedded corpus encodes");
    let (contexts, targets) = dataset.sample_batch(&mut StdRng::seed_from_u64(seed), batch_size);
    (contexts.into_dyn(), targets)
}

#[test]
fn wavenet_default_parameter_count() {
    // hand-derived: 27·24 + 48·128 + 3·(2·128) + 2·(256·128) + 128·27 + 27.
    assert_eq!(WaveNet::<f32>::new(WaveNetConfig::default()).num_parameters(), 76_579);
}

#[test]
fn wavenet_parameter_names() {
    let names: Vec<String> = WaveNet::<f32>::new(WaveNetConfig::default())
        .named_parameters()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names[0], "embedding.weight");
    assert_eq!(names[1], "layers.1.weight");
}

#[test]
fn wavenet_output_shape() {
    let model = WaveNet::<f32>::new(WaveNetConfig::default());
    let (contexts, _) = corpus_batch(8, 5, 1);
    assert_eq!(model.forward(&contexts).shape(), vec![5, 27]);
}

#[test]
fn wavenet_initial_loss_near_uniform() {
    manual_seed(3);
    let model = WaveNet::<f32>::new(WaveNetConfig::default());
    let (contexts, targets) = corpus_batch(8, 64, 2);
    let loss = no_grad(|| cross_entropy(&model.forward(&contexts), &targets, CrossEntropyOptions::default()).item());

    // The 0.1-scaled head keeps the first logits small, so the loss starts
    // near that of a uniform guess over 27 characters, ln 27 ≈ 3.2958.
    assert_close(f64::from(loss), 27f64.ln(), 0.3, "initial loss");
}

#[test]
#[should_panic(expected = "WaveNet: block_size must be a power of two >= 2, got 6")]
fn wavenet_block_size_six_panics() {
    WaveNet::<f32>::new(WaveNetConfig {
        block_size: 6,
        ..WaveNetConfig::default()
    });
}

#[test]
#[should_panic(expected = "WaveNet: expected contexts of shape (B, 8), got [2, 4]")]
fn wavenet_wrong_context_length_panics() {
    WaveNet::<f32>::new(WaveNetConfig::default()).forward(&ArrayD::zeros(IxDyn(&[2, 4])));
}

#[test]
fn wavenet_seed_reproduces_build() {
    manual_seed(21);
    let first = WaveNet::<f32>::new(WaveNetConfig::default());
    manual_seed(21);
    let second = WaveNet::<f32>::new(WaveNetConfig::default());

    for ((name, a), (_, b)) in first.named_parameters().iter().zip(second.named_parameters()) {
        assert_eq!(a.to_vec(), b.to_vec(), "{name} differs between two builds with seed 21");
    }
}

#[test]
fn wavenet_named_buffers() {
    let names: Vec<String> = WaveNet::<f32>::new(WaveNetConfig::default())
        .named_buffers()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    // hand-derived: each level is [FlattenConsecutive, Linear, BatchNorm1d, Tanh],
    // so the BatchNorm1d layers sit at positions 2, 6 and 10.
    let expected: Vec<String> = [2, 6, 10]
        .iter()
        .flat_map(|i| [format!("layers.{i}.running_mean"), format!("layers.{i}.running_var")])
        .collect();
    assert_eq!(names, expected);
}

// ---------------------------------------------------------------- Sgd

/// Runs one Sgd step per entry of `gradients` on a one-element parameter
/// that starts at 1, feeding that gradient through loss = g·p, and returns
/// the parameter after each step.
fn sgd_trajectory(config: SgdConfig, gradients: &[f64]) -> Vec<f64> {
    let p = Tensor::<f64>::from_vec(vec![1.0], &[1]).requires_grad_(true);
    let mut sgd = Sgd::new(vec![p.clone()], config);
    let mut values = Vec::new();
    for &g in gradients {
        sgd.zero_grad();
        (&p * &Tensor::from_vec(vec![g], &[1])).sum_all().backward();
        sgd.step();
        values.push(p.item());
    }
    values
}

const GRADIENTS: [f64; 3] = [1.0, 2.0, -1.0];

#[track_caller]
fn assert_trajectory(actual: &[f64], expected: &[f64]) {
    for (step, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert_close(a, e, 1e-12, &format!("parameter after step {}", step + 1));
    }
}

#[test]
fn sgd_plain_step() {
    let p = Tensor::<f64>::from_vec(vec![1.0, -2.0, 3.0], &[3]).requires_grad_(true);
    let mut sgd = Sgd::new(
        vec![p.clone()],
        SgdConfig {
            lr: 0.1,
            ..SgdConfig::default()
        },
    );
    (&p * &Tensor::from_vec(vec![0.5, 1.0, -4.0], &[3]))
        .sum_all()
        .backward();
    sgd.step();

    // hand-derived: p - 0.1·g = [1 - 0.05, -2 - 0.1, 3 + 0.4].
    assert!(
        max_abs_diff(&p.to_vec(), &[0.95, -2.1, 3.4]) < 1e-12,
        "got {:?}",
        p.to_vec()
    );
}

#[test]
fn sgd_set_lr_takes_effect() {
    let p = Tensor::<f64>::from_vec(vec![1.0], &[1]).requires_grad_(true);
    let mut sgd = Sgd::new(
        vec![p.clone()],
        SgdConfig {
            lr: 0.1,
            ..SgdConfig::default()
        },
    );
    (&p * &Tensor::from_vec(vec![2.0], &[1])).sum_all().backward();
    sgd.step();
    sgd.set_lr(0.5);
    sgd.step(); // same gradient, new rate

    assert_eq!(sgd.lr(), 0.5);
    // hand-derived: 1 - 0.1·2 - 0.5·2 = -0.2.
    assert_close(
        p.item(),
        -0.2,
        1e-12,
        "parameter after a step at lr 0.1 and one at lr 0.5",
    );
}

#[test]
fn sgd_momentum_sequence() {
    let config = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        ..SgdConfig::default()
    };
    // hand-derived: b = g on step 1 and b = 0.9·b + g after it, then p -= 0.1·b.
    // So b = 1, 2.9, 1.61 and p = 0.9, 0.61, 0.449.
    assert_trajectory(&sgd_trajectory(config, &GRADIENTS), &[0.9, 0.61, 0.449]);
}

#[test]
fn sgd_momentum_dampening_sequence() {
    let config = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.5,
        ..SgdConfig::default()
    };
    // hand-derived: b = g on step 1 (no dampening), then b = 0.9·b + 0.5·g.
    // b = 1, 1.9, 1.21 and p = 0.9, 0.71, 0.589.
    assert_trajectory(&sgd_trajectory(config, &GRADIENTS), &[0.9, 0.71, 0.589]);
}

#[test]
fn sgd_nesterov_sequence() {
    let config = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        nesterov: true,
        ..SgdConfig::default()
    };
    // hand-derived: b as for plain momentum (1, 2.9, 1.61), update g + 0.9·b
    // = 1.9, 4.61, 0.449, so p = 0.81, 0.349, 0.3041.
    assert_trajectory(&sgd_trajectory(config, &GRADIENTS), &[0.81, 0.349, 0.3041]);
}

#[test]
fn sgd_weight_decay_sequence() {
    let config = SgdConfig {
        lr: 0.1,
        weight_decay: 0.5,
        ..SgdConfig::default()
    };
    // hand-derived: g' = g + 0.5·p = 1.5, 2.425, -0.69625, so
    // p = 0.85, 0.6075, 0.677125.
    assert_trajectory(&sgd_trajectory(config, &GRADIENTS), &[0.85, 0.6075, 0.677125]);
}

#[test]
fn sgd_momentum_weight_decay_sequence() {
    let config = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.5,
        ..SgdConfig::default()
    };
    // hand-derived: g' = g + 0.5·p = 1.5, 2.425, -0.76375, then
    // b = 1.5, 3.775, 2.63375 and p = 0.85, 0.4725, 0.209125.
    assert_trajectory(&sgd_trajectory(config, &GRADIENTS), &[0.85, 0.4725, 0.209125]);
}

#[test]
fn sgd_skips_parameter_without_grad() {
    let used = Tensor::<f64>::from_vec(vec![1.0], &[1]).requires_grad_(true);
    let unused = Tensor::<f64>::from_vec(vec![5.0, 6.0], &[2]).requires_grad_(true);
    let config = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.5,
        ..SgdConfig::default()
    };
    let mut sgd = Sgd::new(vec![used.clone(), unused.clone()], config);
    for _ in 0..2 {
        sgd.zero_grad();
        (&used * &used).sum_all().backward();
        sgd.step();
    }

    assert!(unused.grad().is_none(), "the unused parameter got a gradient");
    assert_eq!(
        unused.to_vec(),
        vec![5.0, 6.0],
        "a parameter without a gradient changed"
    );
}

#[test]
#[should_panic(expected = "Sgd::new: lr must be a finite value >= 0, got -0.1")]
fn sgd_negative_lr_panics() {
    Sgd::<f32>::new(
        Vec::new(),
        SgdConfig {
            lr: -0.1,
            ..SgdConfig::default()
        },
    );
}

#[test]
#[should_panic(expected = "Sgd::set_lr: lr must be a finite value >= 0, got NaN")]
fn sgd_set_lr_nan_panics() {
    Sgd::<f32>::new(Vec::new(), SgdConfig::default()).set_lr(f64::NAN);
}

// ---------------------------------------------------------------- manual_seed

#[test]
fn manual_seed_repeats_randn() {
    manual_seed(5);
    let first = Tensor::<f32>::randn(&[16]).to_vec();
    manual_seed(5);
    let second = Tensor::<f32>::randn(&[16]).to_vec();
    assert_eq!(first, second);
}

#[test]
fn manual_seed_different_seeds_differ() {
    manual_seed(5);
    let first = Tensor::<f32>::randn(&[16]).to_vec();
    manual_seed(6);
    let second = Tensor::<f32>::randn(&[16]).to_vec();
    assert_ne!(first, second);
}
