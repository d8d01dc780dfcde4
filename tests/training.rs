//! End-to-end training runs. The loss falls well below its starting value
//! only when the modules, the autograd graph and the optimizer work together.

use convgrad::data::{Corpus, Dataset};
use convgrad::models::{WaveNet, WaveNetConfig};
use convgrad::nn::{Embedding, Linear, Module, Tanh};
use convgrad::ops::{cross_entropy, CrossEntropyOptions, Reduction};
use convgrad::optim::{Sgd, SgdConfig};
use convgrad::{manual_seed, no_grad, Tensor};
use ndarray::{array, s};
use rand::rngs::StdRng;
use rand::SeedableRng;

const SEED: u64 = 42;
const STEPS: usize = 500;
const BATCH_SIZE: usize = 32;

/// Computes the mean cross-entropy over every pair of `dataset` without
/// recording a graph.
fn dataset_loss(model: &WaveNet<f32>, dataset: &Dataset) -> f64 {
    let sum = CrossEntropyOptions {
        reduction: Reduction::Sum,
        ..CrossEntropyOptions::default()
    };
    no_grad(|| {
        let mut total = 0.0;
        let mut start = 0;
        while start < dataset.len() {
            let end = (start + 4096).min(dataset.len());
            let contexts = dataset.contexts().slice(s![start..end, ..]).to_owned().into_dyn();
            let targets = dataset.targets().slice(s![start..end]);
            total += f64::from(cross_entropy(&model.forward(&contexts), &targets, sum).item());
            start = end;
        }
        total / dataset.len() as f64
    })
}

#[test]
fn wavenet_learns_embedded_names() {
    let corpus = Corpus::embedded();
    let split = corpus.split(SEED);
    let config = WaveNetConfig::default();
    let train = Dataset::new(&split.train, corpus.vocab(), config.block_size).expect("training words encode");
    let val = Dataset::new(&split.val, corpus.vocab(), config.block_size).expect("validation words encode");

    manual_seed(SEED);
    let mut model = WaveNet::<f32>::new(config);
    let mut optimizer = Sgd::new(
        model.parameters(),
        SgdConfig {
            lr: 0.1,
            ..SgdConfig::default()
        },
    );
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut losses = Vec::with_capacity(STEPS);
    for _ in 0..STEPS {
        let (contexts, targets) = train.sample_batch(&mut rng, BATCH_SIZE);
        let loss = cross_entropy(
            &model.forward(&contexts.into_dyn()),
            &targets,
            CrossEntropyOptions::default(),
        );
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.push(f64::from(loss.item()));
    }

    // A uniform guess over 27 characters scores ln 27 ≈ 3.296.
    let last_mean = losses[STEPS - 50..].iter().sum::<f64>() / 50.0;
    assert!(
        last_mean < 2.6,
        "mean training loss of the last 50 steps is {last_mean}"
    );

    model.eval();
    let val_loss = dataset_loss(&model, &val);
    assert!(val_loss.is_finite(), "validation loss is {val_loss}");
    assert!(val_loss < 2.8, "validation loss is {val_loss}");
}

#[test]
fn tiny_mlp_memorises_pairs() {
    manual_seed(7);
    let embedding = Embedding::<f32>::new(6, 4);
    let hidden = Linear::new(4, 16);
    let head = Linear::new(16, 6);
    let inputs = array![0usize, 1, 2, 3, 4, 5].into_dyn();
    let targets = array![3usize, 0, 4, 1, 5, 2];
    let forward = |inputs| -> Tensor<f32> { head.forward(&Tanh.forward(&hidden.forward(&embedding.forward(inputs)))) };

    let mut parameters = embedding.parameters();
    parameters.extend(hidden.parameters());
    parameters.extend(head.parameters());
    let mut optimizer = Sgd::new(
        parameters,
        SgdConfig {
            lr: 0.5,
            ..SgdConfig::default()
        },
    );
    let initial_loss = cross_entropy(&forward(&inputs), &targets, CrossEntropyOptions::default()).item();
    let mut loss_value = initial_loss;
    for _ in 0..300 {
        let loss = cross_entropy(&forward(&inputs), &targets, CrossEntropyOptions::default());
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        loss_value = loss.item();
    }

    assert!(
        initial_loss > 1.0,
        "the untrained model already fits the pairs: loss {initial_loss}"
    );
    assert!(loss_value < 0.1, "loss after 300 full-batch steps is {loss_value}");
}
