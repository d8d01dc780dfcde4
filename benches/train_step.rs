//! One WaveNet training step (batch sampling, forward, loss, backward, SGD
//! update) for each architecture of the `wavenet` example, batch 32, f32.
//!
//! ```text
//! cargo bench --bench train_step
//! ```

use std::time::Duration;

use convgrad::conv::ConvAlgorithm;
use convgrad::data::{Corpus, Dataset};
use convgrad::manual_seed;
use convgrad::models::{ConvWaveNet, DilatedWaveNet, DilatedWaveNetConfig, LanguageModel, WaveNet, WaveNetConfig};
use convgrad::ops::{cross_entropy, CrossEntropyOptions};
use convgrad::optim::{Sgd, SgdConfig};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::rngs::StdRng;
use rand::SeedableRng;

const BATCH: usize = 32;

fn bench_model<M: LanguageModel<f32>>(c: &mut Criterion, name: &str, model: M, dataset: &Dataset) {
    let mut optimizer = Sgd::new(
        model.parameters(),
        SgdConfig {
            lr: 0.1,
            ..SgdConfig::default()
        },
    );
    let mut rng = StdRng::seed_from_u64(0);
    c.bench_function(name, |bencher| {
        bencher.iter(|| {
            let (contexts, targets) = dataset.sample_batch(&mut rng, BATCH);
            let logits = model.forward(&contexts.into_dyn());
            let loss = cross_entropy(&logits, &targets, CrossEntropyOptions::default());
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            loss.item()
        })
    });
}

fn train_step(c: &mut Criterion) {
    let corpus = Corpus::embedded();
    let dataset = Dataset::new(corpus.words(), corpus.vocab(), 8).expect("the embedded corpus is valid");
    let config = WaveNetConfig {
        vocab_size: corpus.vocab().len(),
        ..WaveNetConfig::default()
    };
    manual_seed(42);
    bench_model(c, "train_step/hierarchical", WaveNet::new(config), &dataset);
    manual_seed(42);
    bench_model(
        c,
        "train_step/conv",
        ConvWaveNet::new(config, ConvAlgorithm::Auto),
        &dataset,
    );
    manual_seed(42);
    let dilated = DilatedWaveNetConfig {
        vocab_size: corpus.vocab().len(),
        ..DilatedWaveNetConfig::default()
    };
    bench_model(
        c,
        "train_step/dilated",
        DilatedWaveNet::new(dilated, ConvAlgorithm::Auto),
        &dataset,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = train_step
}
criterion_main!(benches);
