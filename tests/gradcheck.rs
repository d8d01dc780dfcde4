//! Checks the backward pass of every op and of the nn modules against
//! central finite differences with `convgrad::gradcheck::check_gradients`,
//! in f64.
//!
//! Shapes (sizes 1 to 5 unless an op needs more) and values are drawn from a
//! seeded `StdRng`, several trials per op. The checker weights the output
//! with a random upstream gradient, so a backward that ignores or permutes
//! that gradient fails too.

use convgrad::gradcheck::{check_gradients, GradcheckOptions};
use convgrad::nn::{
    BatchNorm1d, BatchNorm1dConfig, Embedding, FlattenConsecutive, Layout, Linear, Module, Sequential, Tanh,
};
use convgrad::ops::{self, BatchNormOptions, CrossEntropyOptions, Reduction};
use convgrad::Tensor;
use ndarray::{ArrayD, Axis, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Random draws per op.
const TRIALS: usize = 5;

// ---------------------------------------------------------------------- helpers

/// A seeded source of random shapes, values and indices.
struct Draw {
    rng: StdRng,
}

impl Draw {
    fn new(seed: u64) -> Self {
        Draw {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Draws a size in `low..=high`.
    fn size(&mut self, low: usize, high: usize) -> usize {
        self.rng.random_range(low..=high)
    }

    fn shape(&mut self, ndim: usize, low: usize, high: usize) -> Vec<usize> {
        (0..ndim).map(|_| self.size(low, high)).collect()
    }

    fn coin(&mut self) -> bool {
        self.rng.random()
    }

    /// Draws a tensor of independent values from U(low, high).
    fn uniform(&mut self, shape: &[usize], low: f64, high: f64) -> Tensor<f64> {
        let array = ArrayD::from_shape_simple_fn(IxDyn(shape), || self.rng.random_range(low..high));
        Tensor::from_array(array)
    }

    /// Draws a tensor whose entries have a magnitude in [low, high) and a
    /// random sign, for ops that must stay away from 0 (a divisor, relu's kink).
    fn away_from_zero(&mut self, shape: &[usize], low: f64, high: f64) -> Tensor<f64> {
        let array = ArrayD::from_shape_simple_fn(IxDyn(shape), || {
            let magnitude = self.rng.random_range(low..high);
            if self.rng.random::<bool>() {
                magnitude
            } else {
                -magnitude
            }
        });
        Tensor::from_array(array)
    }

    /// Draws integer indices in `0..bound`.
    fn indices(&mut self, shape: &[usize], bound: usize) -> ArrayD<usize> {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || self.rng.random_range(0..bound))
    }

    /// Draws a pair of shapes that broadcast together: the larger is 3-D, the other
    /// keeps 0 to 3 of its trailing dimensions, and either may have size-1
    /// dimensions. The order of the pair is random.
    fn broadcast_pair(&mut self) -> (Vec<usize>, Vec<usize>) {
        let full = self.shape(3, 1, 5);
        let squeeze = |draw: &mut Draw, shape: &[usize]| -> Vec<usize> {
            shape.iter().map(|&size| if draw.coin() { 1 } else { size }).collect()
        };
        let larger = squeeze(self, &full);
        let trailing = self.size(0, 3);
        let smaller = squeeze(self, &full[3 - trailing..]);
        if self.coin() {
            (larger, smaller)
        } else {
            (smaller, larger)
        }
    }
}

/// Asserts that the gradients of `f` at `inputs` match finite differences
/// for every element of every input.
#[track_caller]
fn assert_gradients(label: &str, f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>, inputs: &[Tensor<f64>]) {
    let shapes: Vec<Vec<usize>> = inputs.iter().map(Tensor::shape).collect();
    let elements: usize = inputs.iter().map(Tensor::numel).sum();

    let report = check_gradients(f, inputs, GradcheckOptions::default())
        .unwrap_or_else(|error| panic!("{label}, input shapes {shapes:?}: {error}"));

    assert_eq!(
        report.checked, elements,
        "{label}, input shapes {shapes:?}: not every input element was checked"
    );
}

/// Fixed broadcasting cases: each side stretched, both sides stretched, and
/// a 0-dimensional operand on either side.
const BROADCAST_SHAPES: [(&[usize], &[usize]); 7] = [
    (&[3, 1, 4], &[2, 4]),
    (&[2, 4], &[3, 1, 4]),
    (&[4, 1], &[1, 5]),
    (&[2, 3], &[]),
    (&[], &[2, 3]),
    (&[2, 3], &[2, 3]),
    (&[], &[]),
];

/// Checks a binary op on the fixed broadcasting cases and on random pairs.
/// The right operand has magnitudes in [0.5, 2) so that it can divide.
fn check_binary(label: &str, seed: u64, op: impl Fn(&Tensor<f64>, &Tensor<f64>) -> Tensor<f64>) {
    let mut draw = Draw::new(seed);
    let mut pairs: Vec<(Vec<usize>, Vec<usize>)> =
        BROADCAST_SHAPES.iter().map(|(a, b)| (a.to_vec(), b.to_vec())).collect();
    pairs.extend((0..TRIALS).map(|_| draw.broadcast_pair()));

    for (a_shape, b_shape) in pairs {
        let a = draw.uniform(&a_shape, -2.0, 2.0);
        let b = draw.away_from_zero(&b_shape, 0.5, 2.0);
        assert_gradients(label, |t| op(&t[0], &t[1]), &[a, b]);
    }
}

/// Checks an elementwise op on random shapes of 0 to 3 dimensions, with
/// inputs from `values`.
fn check_unary(
    label: &str,
    seed: u64,
    values: impl Fn(&mut Draw, &[usize]) -> Tensor<f64>,
    op: impl Fn(&Tensor<f64>) -> Tensor<f64>,
) {
    let mut draw = Draw::new(seed);
    for trial in 0..TRIALS {
        let ndim = trial % 4;
        let shape = draw.shape(ndim, 1, 5);
        let x = values(&mut draw, &shape);
        assert_gradients(label, |t| op(&t[0]), &[x]);
    }
}

fn any_sign(draw: &mut Draw, shape: &[usize]) -> Tensor<f64> {
    draw.uniform(shape, -2.0, 2.0)
}

fn positive(draw: &mut Draw, shape: &[usize]) -> Tensor<f64> {
    draw.uniform(shape, 0.5, 2.0)
}

// ---------------------------------------------------------------------- elementwise

#[test]
fn add_broadcasts_both_ways() {
    check_binary("add", 1, |a, b| a + b);
}

#[test]
fn sub_broadcasts_both_ways() {
    check_binary("sub", 2, |a, b| a - b);
}

#[test]
fn mul_broadcasts_both_ways() {
    check_binary("mul", 3, |a, b| a * b);
}

#[test]
fn div_broadcasts_both_ways() {
    check_binary("div", 4, |a, b| a / b);
}

#[test]
fn mul_same_tensor_twice() {
    let mut draw = Draw::new(5);
    let x = draw.uniform(&[2, 3], -2.0, 2.0);
    assert_gradients("x * x", |t| &t[0] * &t[0], &[x]);
    assert_gradients("x / x", |t| &t[0] / &t[0], &[draw.away_from_zero(&[2, 3], 0.5, 2.0)]);
}

#[test]
fn add_scalar_and_mul_scalar() {
    check_unary("add_scalar", 6, any_sign, |x| x.add_scalar(1.75));
    check_unary("mul_scalar", 7, any_sign, |x| x.mul_scalar(-2.5));
}

#[test]
fn neg_gradient() {
    check_unary("neg", 8, any_sign, |x| -x);
}

#[test]
fn powf_several_exponents() {
    for (offset, exponent) in [2.0, 3.0, 0.5, -1.5, 1.7].into_iter().enumerate() {
        check_unary(&format!("powf({exponent})"), 10 + offset as u64, positive, move |x| {
            x.powf(exponent)
        });
    }
}

#[test]
fn sqrt_exp_log_gradients() {
    check_unary("sqrt", 20, positive, Tensor::sqrt);
    check_unary("exp", 21, any_sign, Tensor::exp);
    check_unary("log", 22, positive, Tensor::log);
}

#[test]
fn activation_gradients() {
    check_unary("tanh", 30, any_sign, Tensor::tanh);
    check_unary(
        "sigmoid",
        31,
        |draw, shape| draw.uniform(shape, -6.0, 6.0),
        Tensor::sigmoid,
    );
    check_unary(
        "relu",
        32,
        |draw, shape| draw.away_from_zero(shape, 0.1, 2.0),
        Tensor::relu,
    );
    check_unary(
        "gelu_tanh",
        33,
        |draw, shape| draw.uniform(shape, -4.0, 4.0),
        Tensor::gelu_tanh,
    );
}

// ---------------------------------------------------------------------- reductions

/// Dimension lists valid for a 3-D tensor: single, negative, several, and
/// empty (every dimension).
const REDUCTION_DIMS: [&[isize]; 9] = [&[0], &[1], &[2], &[-1], &[-3], &[0, 2], &[-1, 0], &[0, 1, 2], &[]];

#[test]
fn sum_over_dims() {
    let mut draw = Draw::new(40);
    for dims in REDUCTION_DIMS {
        for keepdim in [false, true] {
            let shape = draw.shape(3, 1, 5);
            let x = any_sign(&mut draw, &shape);
            assert_gradients(
                &format!("sum({dims:?}, keepdim={keepdim})"),
                |t| t[0].sum(dims, keepdim),
                &[x],
            );
        }
    }
}

#[test]
fn mean_over_dims() {
    let mut draw = Draw::new(41);
    for dims in REDUCTION_DIMS {
        for keepdim in [false, true] {
            let shape = draw.shape(3, 1, 5);
            let x = any_sign(&mut draw, &shape);
            assert_gradients(
                &format!("mean({dims:?}, keepdim={keepdim})"),
                |t| t[0].mean(dims, keepdim),
                &[x],
            );
        }
    }
}

#[test]
fn sum_all_and_mean_all() {
    check_unary("sum_all", 42, any_sign, Tensor::sum_all);
    check_unary("mean_all", 43, any_sign, Tensor::mean_all);
}

#[test]
fn var_both_corrections() {
    let mut draw = Draw::new(44);
    for dims in [&[0][..], &[-1], &[0, 2], &[1, -1], &[]] {
        for correction in [0, 1] {
            for keepdim in [false, true] {
                // Sizes of at least 2 keep n - correction positive.
                let shape = draw.shape(3, 2, 5);
                let x = any_sign(&mut draw, &shape);
                let label = format!("var({dims:?}, correction={correction}, keepdim={keepdim})");
                assert_gradients(&label, |t| t[0].var(dims, correction, keepdim), &[x]);
            }
        }
    }
}

// ---------------------------------------------------------------------- matrix products

#[test]
fn matmul_all_rank_pairs() {
    let mut draw = Draw::new(50);
    for _ in 0..TRIALS {
        let (batch, m, k, n) = (draw.size(1, 5), draw.size(1, 5), draw.size(1, 5), draw.size(1, 5));
        let shape_pairs: [(Vec<usize>, Vec<usize>); 3] = [
            (vec![m, k], vec![k, n]),
            (vec![batch, m, k], vec![k, n]),
            (vec![batch, m, k], vec![batch, k, n]),
        ];
        for (a_shape, b_shape) in shape_pairs {
            let a = any_sign(&mut draw, &a_shape);
            let b = any_sign(&mut draw, &b_shape);
            assert_gradients("matmul", |t| t[0].matmul(&t[1]), &[a, b]);
        }
    }
}

#[test]
fn linear_with_and_without_bias() {
    let mut draw = Draw::new(51);
    for trial in 0..TRIALS {
        let (in_features, out_features) = (draw.size(1, 5), draw.size(1, 5));
        let mut input_shape = draw.shape(1 + trial % 3, 1, 4);
        input_shape.push(in_features);
        let x = any_sign(&mut draw, &input_shape);
        let w = any_sign(&mut draw, &[out_features, in_features]);
        let b = any_sign(&mut draw, &[out_features]);

        assert_gradients(
            "linear with bias",
            |t| ops::linear(&t[0], &t[1], Some(&t[2])),
            &[x.clone(), w.clone(), b],
        );
        assert_gradients("linear without bias", |t| ops::linear(&t[0], &t[1], None), &[x, w]);
    }
}

// ---------------------------------------------------------------------- shape ops

#[test]
fn reshape_gradient() {
    let mut draw = Draw::new(60);
    for _ in 0..TRIALS {
        let shape = draw.shape(3, 1, 5);
        let (a, b, c) = (shape[0], shape[1], shape[2]);
        for target in [vec![a * b * c], vec![c, a * b], vec![a, b * c, 1]] {
            let x = any_sign(&mut draw, &shape);
            assert_gradients(&format!("reshape to {target:?}"), |t| t[0].reshape(&target), &[x]);
        }
    }
}

#[test]
fn permute_gradient() {
    let mut draw = Draw::new(61);
    let orders: [&[isize]; 6] = [
        &[0, 1, 2],
        &[2, 0, 1],
        &[1, 2, 0],
        &[-1, -2, -3],
        &[0, -1, 1],
        &[1, 0, 2],
    ];
    for dims in orders {
        let shape = draw.shape(3, 1, 5);
        let x = any_sign(&mut draw, &shape);
        assert_gradients(&format!("permute({dims:?})"), |t| t[0].permute(dims), &[x]);
    }
    let shape = draw.shape(4, 1, 4);
    let x = any_sign(&mut draw, &shape);
    assert_gradients("permute([3, 1, 0, 2])", |t| t[0].permute(&[3, 1, 0, 2]), &[x]);
}

#[test]
fn transpose_gradient() {
    let mut draw = Draw::new(62);
    for (dim0, dim1) in [(0, 2), (-1, -2), (1, 0), (2, 2)] {
        let shape = draw.shape(3, 1, 5);
        let x = any_sign(&mut draw, &shape);
        assert_gradients(
            &format!("transpose({dim0}, {dim1})"),
            |t| t[0].transpose(dim0, dim1),
            &[x],
        );
    }
}

// ---------------------------------------------------------------------- lookup, softmax, loss

#[test]
fn embedding_repeated_indices() {
    let mut draw = Draw::new(70);
    for _ in 0..TRIALS {
        let (num_embeddings, embedding_dim) = (draw.size(1, 5), draw.size(1, 5));
        // More positions than rows, so some rows are looked up repeatedly.
        let indices = draw.indices(&[2, num_embeddings + 1], num_embeddings);
        let weight = any_sign(&mut draw, &[num_embeddings, embedding_dim]);
        assert_gradients("embedding", |t| ops::embedding(&indices, &t[0], None), &[weight]);
    }
}

/// Finite differences see the padding row's lookups, but by PyTorch's rule
/// that row gets no gradient. The checked function therefore reads the
/// padding row from a constant, so its true derivative is zero as well, and
/// the other rows are checked with padding positions present.
#[test]
fn embedding_padding_idx() {
    let mut draw = Draw::new(71);
    for _ in 0..TRIALS {
        let (num_embeddings, embedding_dim) = (draw.size(2, 5), draw.size(1, 5));
        let padding_idx = draw.size(0, num_embeddings - 1);
        let mut indices = draw.indices(&[3, 4], num_embeddings);
        indices[[0, 0]] = padding_idx;
        let weight = any_sign(&mut draw, &[num_embeddings, embedding_dim]);
        let mut keep = ArrayD::ones(IxDyn(&[num_embeddings, 1]));
        keep[[padding_idx, 0]] = 0.0;
        let keep = Tensor::from_array(keep);
        let padding_row = (&weight * &Tensor::from_array(keep.to_array().mapv(|k: f64| 1.0 - k))).detach();

        let with_constant_padding = |t: &[Tensor<f64>]| {
            let table = &(&t[0] * &keep) + &padding_row;
            ops::embedding(&indices, &table, Some(padding_idx))
        };
        assert_gradients(
            "embedding with padding_idx",
            with_constant_padding,
            std::slice::from_ref(&weight),
        );

        let leaf = weight.detach().requires_grad_(true);
        ops::embedding(&indices, &leaf, Some(padding_idx)).sum_all().backward();
        let padding_grad: Vec<f64> = leaf
            .grad()
            .unwrap()
            .index_axis(Axis(0), padding_idx)
            .iter()
            .copied()
            .collect();
        assert!(
            padding_grad.iter().all(|&g| g == 0.0),
            "padding row {padding_idx} got gradient {padding_grad:?}"
        );
    }
}

#[test]
fn softmax_several_dims() {
    let mut draw = Draw::new(72);
    for dim in [0, 1, 2, -1, -2] {
        let shape = draw.shape(3, 1, 5);
        let x = draw.uniform(&shape, -3.0, 3.0);
        assert_gradients(&format!("softmax(dim={dim})"), |t| ops::softmax(&t[0], dim), &[x]);
    }
}

#[test]
fn log_softmax_several_dims() {
    let mut draw = Draw::new(73);
    for dim in [0, 1, 2, -1, -2] {
        let shape = draw.shape(3, 1, 5);
        let x = draw.uniform(&shape, -3.0, 3.0);
        assert_gradients(
            &format!("log_softmax(dim={dim})"),
            |t| ops::log_softmax(&t[0], dim),
            &[x],
        );
    }
}

#[test]
fn cross_entropy_all_options() {
    let mut draw = Draw::new(74);
    for trial in 0..TRIALS {
        let (batch, classes) = (draw.size(1, 5), draw.size(2, 5));
        // Trials alternate between (N, C) and (N, C, L) logits.
        let inner: Vec<usize> = if trial % 2 == 0 { vec![] } else { vec![draw.size(1, 4)] };
        let mut logits_shape = vec![batch, classes];
        logits_shape.extend(&inner);
        let mut target_shape = vec![batch];
        target_shape.extend(&inner);
        let logits = draw.uniform(&logits_shape, -3.0, 3.0);
        let mut targets = draw.indices(&target_shape, classes);
        let ignored_class = draw.size(0, classes - 1);
        // One target that is never ignored keeps the mean finite.
        *targets.iter_mut().next().unwrap() = (ignored_class + 1) % classes;

        for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            for ignore_index in [None, Some(ignored_class)] {
                let options = CrossEntropyOptions {
                    reduction,
                    ignore_index,
                };
                let label = format!("cross_entropy({reduction:?}, ignore_index={ignore_index:?})");
                assert_gradients(
                    &label,
                    |t| ops::cross_entropy(&t[0], &targets, options),
                    std::slice::from_ref(&logits),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------- batch norm

/// Which of the optional per-channel tensors a batch-norm check passes.
#[derive(Clone, Copy, Debug)]
struct Affine {
    weight: bool,
    bias: bool,
}

const AFFINE_VARIANTS: [Affine; 4] = [
    Affine {
        weight: true,
        bias: true,
    },
    Affine {
        weight: true,
        bias: false,
    },
    Affine {
        weight: false,
        bias: true,
    },
    Affine {
        weight: false,
        bias: false,
    },
];

/// Checks `ops::batch_norm` on inputs of `input_shape`, with the input and
/// the weight and bias that `affine` selects as the checked inputs.
fn check_batch_norm(draw: &mut Draw, input_shape: &[usize], options: BatchNormOptions, affine: Affine) {
    let channels = match (options.layout, input_shape) {
        (Layout::ChannelsLast, [.., c]) => *c,
        (_, [_, c, ..]) => *c,
        _ => panic!("batch-norm test input shape {input_shape:?} has no channel dimension"),
    };
    let running_mean = draw.uniform(&[channels], -0.5, 0.5);
    let running_var = draw.uniform(&[channels], 0.5, 2.0);
    let mut inputs = vec![draw.uniform(input_shape, -2.0, 2.0)];
    if affine.weight {
        inputs.push(draw.uniform(&[channels], 0.5, 2.0));
    }
    if affine.bias {
        inputs.push(any_sign(draw, &[channels]));
    }

    let forward = |t: &[Tensor<f64>]| {
        let weight = affine.weight.then(|| &t[1]);
        let bias = affine.bias.then(|| &t[t.len() - 1]);
        ops::batch_norm(&t[0], Some(&running_mean), Some(&running_var), weight, bias, options)
    };
    assert_gradients(&format!("batch_norm({options:?}, {affine:?})"), forward, &inputs);
}

#[test]
fn batch_norm_training_channels_first() {
    let mut draw = Draw::new(80);
    let options = BatchNormOptions {
        training: true,
        ..BatchNormOptions::default()
    };
    for affine in AFFINE_VARIANTS {
        let shape_2d = vec![draw.size(2, 5), draw.size(1, 4)];
        check_batch_norm(&mut draw, &shape_2d, options, affine);
        let shape_3d = vec![draw.size(1, 4), draw.size(1, 4), draw.size(2, 4)];
        check_batch_norm(&mut draw, &shape_3d, options, affine);
    }
}

#[test]
fn batch_norm_training_channels_last() {
    let mut draw = Draw::new(81);
    let options = BatchNormOptions {
        training: true,
        layout: Layout::ChannelsLast,
        ..BatchNormOptions::default()
    };
    for affine in AFFINE_VARIANTS {
        let shape = vec![draw.size(1, 4), draw.size(2, 4), draw.size(1, 4)];
        check_batch_norm(&mut draw, &shape, options, affine);
    }
}

#[test]
fn batch_norm_variance_correction_one() {
    let mut draw = Draw::new(82);
    for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
        let options = BatchNormOptions {
            training: true,
            layout,
            variance_correction: 1,
            ..BatchNormOptions::default()
        };
        for affine in [AFFINE_VARIANTS[0], AFFINE_VARIANTS[3]] {
            let shape_2d = vec![draw.size(2, 5), draw.size(1, 4)];
            check_batch_norm(&mut draw, &shape_2d, options, affine);
            let shape_3d = vec![draw.size(2, 4), draw.size(1, 4), draw.size(1, 4)];
            check_batch_norm(&mut draw, &shape_3d, options, affine);
        }
    }
}

#[test]
fn batch_norm_eval_mode() {
    let mut draw = Draw::new(83);
    for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
        let options = BatchNormOptions {
            training: false,
            layout,
            ..BatchNormOptions::default()
        };
        for affine in AFFINE_VARIANTS {
            let shape_2d = vec![draw.size(1, 5), draw.size(1, 4)];
            check_batch_norm(&mut draw, &shape_2d, options, affine);
            let shape_3d = draw.shape(3, 1, 4);
            check_batch_norm(&mut draw, &shape_3d, options, affine);
        }
    }
}

// ---------------------------------------------------------------------- nn modules
//
// Module parameters become checked inputs: each closure builds the module and
// then replaces its pub weight and bias fields with the checker's leaves.

#[test]
fn linear_module_parameters() {
    let mut draw = Draw::new(90);
    for trial in 0..TRIALS {
        let (in_features, out_features) = (draw.size(1, 5), draw.size(1, 5));
        let mut input_shape = draw.shape(1 + trial % 2, 1, 4);
        input_shape.push(in_features);
        let inputs = [
            any_sign(&mut draw, &input_shape),
            any_sign(&mut draw, &[out_features, in_features]),
            any_sign(&mut draw, &[out_features]),
        ];

        let forward = |t: &[Tensor<f64>]| {
            let mut layer = Linear::<f64>::new(in_features, out_features);
            layer.weight = t[1].clone();
            layer.bias = Some(t[2].clone());
            layer.forward(&t[0])
        };
        assert_gradients("nn::Linear", forward, &inputs);
    }
}

#[test]
fn embedding_module_weight() {
    let mut draw = Draw::new(91);
    for _ in 0..TRIALS {
        let (num_embeddings, embedding_dim) = (draw.size(1, 5), draw.size(1, 5));
        let indices = draw.indices(&[3, num_embeddings + 1], num_embeddings);
        let weight = any_sign(&mut draw, &[num_embeddings, embedding_dim]);

        let forward = |t: &[Tensor<f64>]| {
            let mut table = Embedding::<f64>::new(num_embeddings, embedding_dim);
            table.weight = t[0].clone();
            table.forward(&indices)
        };
        assert_gradients("nn::Embedding", forward, &[weight]);
    }
}

#[test]
fn batch_norm_module_both_modes() {
    let mut draw = Draw::new(92);
    for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
        for training in [true, false] {
            let channels = draw.size(1, 4);
            let input_shape = match layout {
                Layout::ChannelsFirst => vec![draw.size(1, 3), channels, draw.size(2, 3)],
                Layout::ChannelsLast => vec![draw.size(1, 3), draw.size(2, 3), channels],
            };
            let inputs = [
                draw.uniform(&input_shape, -2.0, 2.0),
                draw.uniform(&[channels], 0.5, 2.0),
                any_sign(&mut draw, &[channels]),
            ];
            let running_mean = draw.uniform(&[channels], -0.5, 0.5);
            let running_var = draw.uniform(&[channels], 0.5, 2.0);
            let config = BatchNorm1dConfig {
                layout,
                ..BatchNorm1dConfig::default()
            };

            let forward = |t: &[Tensor<f64>]| {
                let mut layer = BatchNorm1d::<f64>::with_config(channels, config);
                layer.weight = Some(t[1].clone());
                layer.bias = Some(t[2].clone());
                layer.running_mean = Some(Tensor::from_array(running_mean.to_array()));
                layer.running_var = Some(Tensor::from_array(running_var.to_array()));
                if !training {
                    layer.eval();
                }
                layer.forward(&t[0])
            };
            assert_gradients(
                &format!("nn::BatchNorm1d({layout:?}, training={training})"),
                forward,
                &inputs,
            );
        }
    }
}

/// FlattenConsecutive and Tanh have no parameters, so only the input
/// gradient is checked.
#[test]
fn flatten_consecutive_input_gradient() {
    let mut draw = Draw::new(93);
    for n in [1, 2, 3] {
        for groups in [1, 2] {
            let shape = [draw.size(1, 3), n * groups, draw.size(1, 3)];
            let x = any_sign(&mut draw, &shape);
            let forward = |t: &[Tensor<f64>]| Module::<f64>::forward(&FlattenConsecutive::new(n), &t[0]);
            assert_gradients(&format!("nn::FlattenConsecutive({n})"), forward, &[x]);
        }
    }
}

#[test]
fn tanh_module_input_gradient() {
    let mut draw = Draw::new(94);
    let x = any_sign(&mut draw, &[3, 4]);
    assert_gradients("nn::Tanh", |t| Module::<f64>::forward(&Tanh, &t[0]), &[x]);
}

/// A small hierarchical stack in the makemore WaveNet layout: (B, T, C)
/// through FlattenConsecutive, Linear, channels-last BatchNorm1d, Tanh and a
/// second Linear. Every parameter is a checked input.
#[test]
fn sequential_wavenet_block() {
    let mut draw = Draw::new(95);
    let (batch, time, channels, hidden, outputs) = (3, 4, 2, 5, 3);
    let inputs = [
        any_sign(&mut draw, &[batch, time, channels]),
        any_sign(&mut draw, &[hidden, 2 * channels]),
        any_sign(&mut draw, &[hidden]),
        draw.uniform(&[hidden], 0.5, 2.0),
        any_sign(&mut draw, &[hidden]),
        any_sign(&mut draw, &[outputs, hidden]),
        any_sign(&mut draw, &[outputs]),
    ];

    let forward = |t: &[Tensor<f64>]| {
        let mut first = Linear::<f64>::new(2 * channels, hidden);
        first.weight = t[1].clone();
        first.bias = Some(t[2].clone());
        let config = BatchNorm1dConfig {
            layout: Layout::ChannelsLast,
            ..BatchNorm1dConfig::default()
        };
        let mut norm = BatchNorm1d::<f64>::with_config(hidden, config);
        norm.weight = Some(t[3].clone());
        norm.bias = Some(t[4].clone());
        let mut last = Linear::<f64>::new(hidden, outputs);
        last.weight = t[5].clone();
        last.bias = Some(t[6].clone());
        let model = Sequential::new()
            .push(FlattenConsecutive::new(2))
            .push(first)
            .push(norm)
            .push(Tanh)
            .push(last);
        model.forward(&t[0])
    };
    assert_gradients("nn::Sequential", forward, &inputs);
}

// ---------------------------------------------------------------------- the checker itself

/// y = x² recorded with the backward x instead of 2x: every element is off
/// by a factor of 2, so the checker must report the first one.
#[test]
fn wrong_backward_is_rejected() {
    let x = Tensor::<f64>::from_vec(vec![0.5, -1.5, 2.0, 1.25], &[2, 2]);
    let wrong_square = |t: &[Tensor<f64>]| {
        let value = t[0].to_array().mapv(|v| v * v);
        let backward: convgrad::BackwardFn<f64> =
            Box::new(|grad, _output, inputs| vec![Some(grad * &*inputs[0].data())]);
        Tensor::from_op("wrong_square", value, vec![t[0].clone()], backward)
    };

    let error =
        check_gradients(wrong_square, &[x], GradcheckOptions::default()).expect_err("a backward of x for x² must fail");

    assert_eq!(error.input, 0);
    assert_eq!(error.index, vec![0, 0]);
    assert!(
        (error.numeric - 2.0 * error.analytic).abs() < 1e-6,
        "expected numeric = 2 · analytic, got {error:?}"
    );
    assert!(
        error.analytic != 0.0,
        "the reported element should have a nonzero gradient, got {error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("gradient mismatch for input 0 at index [0, 0]"),
        "unexpected message: {message}"
    );
}
