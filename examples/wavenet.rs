//! Trains a WaveNet on a list of names and samples from it: the
//! hierarchical model of the makemore lecture (part 5), the same network
//! built from strided convolutions, or the dilated causal WaveNet of van den
//! Oord et al. (2016).
//!
//! ```text
//! cargo run --release --example wavenet                      # embedded corpus
//! cargo run --release --example wavenet -- --data names.txt  # any one-word-per-line file
//! cargo run --release --example wavenet -- --arch dilated
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use convgrad::conv::ConvAlgorithm;
use convgrad::data::{Corpus, Dataset, Vocab};
use convgrad::models::{ConvWaveNet, DilatedWaveNet, DilatedWaveNetConfig, LanguageModel, WaveNet, WaveNetConfig};
use convgrad::ops::{cross_entropy, CrossEntropyOptions, Reduction};
use convgrad::optim::{Sgd, SgdConfig};
use convgrad::{manual_seed, no_grad, Tensor};
use ndarray::{s, Array1, Array2};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The network to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Arch {
    /// The lecture model: FlattenConsecutive(2) + Linear + BatchNorm1d + Tanh, three levels.
    Hierarchical,
    /// The same network from Conv1d(kernel 2, stride 2) layers, channels first.
    Conv,
    /// Causal dilated convolutions (dilations 1, 2, 4) with gated activations,
    /// residual and skip connections, read at the last position.
    Dilated,
}

/// The convolution algorithm of the conv and dilated models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Algorithm {
    Direct,
    Fft,
    Auto,
}

/// Train a WaveNet on a list of words (one per line) and sample names from it.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Network architecture.
    #[arg(long, value_enum, default_value_t = Arch::Hierarchical)]
    arch: Arch,

    /// Convolution algorithm of the conv and dilated architectures
    /// [default: auto].
    #[arg(long, value_enum)]
    algorithm: Option<Algorithm>,

    /// Corpus file with one word per line (makemore format). Without it, the
    /// embedded corpus of 5,163 first names from the 1990 US Census is used.
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,

    /// Number of optimisation steps [default: 200000 with --data, as in the
    /// lecture; 20000 on the embedded corpus, which is six times smaller and
    /// overfits with longer training].
    #[arg(long)]
    steps: Option<usize>,

    /// Seed for initialisation, the train/val/test split, batches and samples.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// Examples per step (at least 2: batch normalisation needs two values
    /// per channel).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(2..))]
    batch_size: u64,

    /// Context length in characters; a power of two (each level halves it).
    #[arg(long, default_value_t = 8)]
    block_size: usize,

    /// Width of the character embedding.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..))]
    n_embd: u64,

    /// Width of each hidden level (hierarchical and conv), or the channel
    /// count of the residual, gated and skip paths (dilated; 63 gives about
    /// the lecture's parameter count). Default: 128, or 63 for dilated.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    n_hidden: Option<u64>,

    /// Learning rate for the first three quarters of the steps.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,

    /// Learning rate for the last quarter of the steps.
    #[arg(long, default_value_t = 0.01)]
    final_lr: f64,

    /// L2 weight decay of the SGD update.
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,

    /// Train the dilated architecture on the prediction at every position
    /// of the context (as the WaveNet paper does), not only the last one.
    /// Losses are still reported for the last position.
    #[arg(long)]
    all_positions: bool,

    /// Dilations of the dilated architecture's blocks, comma-separated
    /// [default: 1,2,4].
    #[arg(long, value_delimiter = ',')]
    dilations: Option<Vec<usize>>,

    /// Print a progress line every this many steps.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    log_interval: u64,

    /// Evaluate the loss on the full train and validation splits every this
    /// many steps (0: only at the end).
    #[arg(long, default_value_t = 10_000)]
    eval_interval: usize,

    /// Number of names to sample at the end.
    #[arg(long, default_value_t = 20)]
    samples: usize,

    /// Write the training loss of every step to this CSV file (step,loss).
    #[arg(long, value_name = "PATH")]
    loss_log: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.block_size < 2 || !args.block_size.is_power_of_two() {
        return Err(format!("--block-size must be a power of two >= 2, got {}", args.block_size).into());
    }
    for (flag, value) in [
        ("--lr", args.lr),
        ("--final-lr", args.final_lr),
        ("--weight-decay", args.weight_decay),
    ] {
        if !(value >= 0.0 && value.is_finite()) {
            return Err(format!("{flag} must be finite and >= 0, got {value}").into());
        }
    }
    if args.arch != Arch::Dilated && (args.all_positions || args.dilations.is_some()) {
        return Err("--all-positions and --dilations apply only to --arch dilated".into());
    }
    if args.arch == Arch::Hierarchical && args.algorithm.is_some() {
        return Err("--algorithm applies only to --arch conv and --arch dilated".into());
    }
    let dilations = args.dilations.clone().unwrap_or_else(|| vec![1, 2, 4]);
    if dilations.is_empty() || dilations.contains(&0) {
        return Err(format!("--dilations must list positive numbers, got {dilations:?}").into());
    }
    // Fail before training, not after it, when the loss log cannot be written.
    if let Some(path) = &args.loss_log {
        std::fs::File::create(path).map_err(|e| format!("cannot write the loss log {}: {e}", path.display()))?;
    }

    // Data: one word per line, split 80/10/10 after a seeded shuffle, and
    // turned into (context of block_size characters, next character) pairs.
    let corpus = match &args.data {
        Some(path) => Corpus::from_path(path)?,
        None => Corpus::embedded(),
    };
    let vocab = corpus.vocab();
    let split = corpus.split(args.seed);
    let train = Dataset::new(&split.train, vocab, args.block_size)?;
    let val = Dataset::new(&split.val, vocab, args.block_size)?;
    let test = Dataset::new(&split.test, vocab, args.block_size)?;
    if train.is_empty() {
        return Err(format!(
            "{}: the training split is empty; the corpus needs more words",
            corpus.source()
        )
        .into());
    }
    println!(
        "corpus: {} ({} words, {} blank lines skipped), vocabulary of {} characters",
        corpus.source(),
        corpus.words().len(),
        corpus.blank_lines(),
        vocab.len()
    );
    println!(
        "examples: {} train, {} val, {} test",
        train.len(),
        val.len(),
        test.len()
    );

    // Model.
    manual_seed(args.seed);
    let algorithm = match args.algorithm.unwrap_or(Algorithm::Auto) {
        Algorithm::Direct => ConvAlgorithm::Direct,
        Algorithm::Fft => ConvAlgorithm::Fft,
        Algorithm::Auto => ConvAlgorithm::Auto,
    };
    let steps = args.steps.unwrap_or(if args.data.is_some() { 200_000 } else { 20_000 });
    let config = WaveNetConfig {
        vocab_size: vocab.len(),
        block_size: args.block_size,
        n_embd: args.n_embd as usize,
        n_hidden: args.n_hidden.unwrap_or(128) as usize,
    };
    let splits = Splits {
        train: &train,
        val: &val,
        test: &test,
    };
    match args.arch {
        Arch::Hierarchical => train_and_report(
            WaveNet::<f32>::new(config),
            args,
            &corpus,
            &splits,
            steps,
            last_position_loss,
        ),
        Arch::Conv => train_and_report(
            ConvWaveNet::<f32>::new(config, algorithm),
            args,
            &corpus,
            &splits,
            steps,
            last_position_loss,
        ),
        Arch::Dilated => {
            let channels = args.n_hidden.unwrap_or(63) as usize;
            let config = DilatedWaveNetConfig {
                vocab_size: vocab.len(),
                block_size: args.block_size,
                n_embd: args.n_embd as usize,
                residual_channels: channels,
                dilation_channels: channels,
                skip_channels: channels,
                dilations,
            };
            let model = DilatedWaveNet::<f32>::new(config, algorithm);
            if args.all_positions {
                train_and_report(model, args, &corpus, &splits, steps, all_positions_loss)
            } else {
                train_and_report(model, args, &corpus, &splits, steps, last_position_loss)
            }
        }
    }
}

/// Mean cross-entropy of the prediction after the whole context.
fn last_position_loss<M: LanguageModel<f32>>(
    model: &M,
    contexts: &Array2<usize>,
    targets: &Array1<usize>,
) -> Tensor<f32> {
    let logits = model.forward(&contexts.clone().into_dyn());
    cross_entropy(&logits, targets, CrossEntropyOptions::default())
}

/// Mean cross-entropy of the predictions at every position: position t of a
/// context predicts context character t + 1, and the last position the target.
/// A boundary token inside a context is left padding before the word, so
/// predicting it is skipped (it would teach only that padding follows
/// padding).
fn all_positions_loss(model: &DilatedWaveNet<f32>, contexts: &Array2<usize>, targets: &Array1<usize>) -> Tensor<f32> {
    const SKIPPED: usize = usize::MAX;
    let logits = model.forward_all_positions(&contexts.clone().into_dyn()); // (B, V, T)
    let block_size = contexts.ncols();
    let mut next = Array2::zeros(contexts.raw_dim()); // (B, T)
    next.slice_mut(s![.., ..block_size - 1])
        .assign(&contexts.slice(s![.., 1..]));
    next.slice_mut(s![.., ..block_size - 1])
        .mapv_inplace(|c| if c == 0 { SKIPPED } else { c });
    next.column_mut(block_size - 1).assign(targets);
    let options = CrossEntropyOptions {
        ignore_index: Some(SKIPPED),
        ..CrossEntropyOptions::default()
    };
    cross_entropy(&logits, &next, options)
}

/// The three parts of the corpus as (context, target) pairs.
struct Splits<'a> {
    train: &'a Dataset,
    val: &'a Dataset,
    test: &'a Dataset,
}

/// Trains `model` with the settings in `args`, then prints the final losses
/// and samples.
fn train_and_report<M: LanguageModel<f32>>(
    mut model: M,
    args: &Args,
    corpus: &Corpus,
    splits: &Splits<'_>,
    steps: usize,
    training_loss: fn(&M, &Array2<usize>, &Array1<usize>) -> Tensor<f32>,
) -> Result<(), Box<dyn std::error::Error>> {
    let Splits { train, val, test } = *splits;
    let vocab: &Vocab = corpus.vocab();
    println!("architecture: {:?}, parameters: {}", args.arch, model.num_parameters());

    let sgd = SgdConfig {
        lr: args.lr,
        weight_decay: args.weight_decay,
        ..SgdConfig::default()
    };
    let mut optimizer = Sgd::new(model.parameters(), sgd);
    let lr_drop_step = steps * 3 / 4;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut loss_log = Vec::with_capacity(if args.loss_log.is_some() { steps } else { 0 });
    let started = Instant::now();
    let mut window_start = Instant::now();
    let mut window_loss = 0.0f64;

    for step in 0..steps {
        // Minibatch of random (context, target) pairs.
        let (contexts, targets) = train.sample_batch(&mut rng, args.batch_size as usize);

        // Forward pass and loss.
        let loss = training_loss(&model, &contexts, &targets);

        // Backward pass, then a plain SGD update; the rate drops after 3/4 of the steps.
        optimizer.zero_grad();
        loss.backward();
        optimizer.set_lr(if step < lr_drop_step { args.lr } else { args.final_lr });
        optimizer.step();

        // Progress.
        let loss_value = f64::from(loss.item());
        window_loss += loss_value;
        if args.loss_log.is_some() {
            loss_log.push(loss_value);
        }
        let done = step + 1;
        if done % args.log_interval as usize == 0 || done == steps {
            let window = (done - 1) % args.log_interval as usize + 1;
            let rate = window as f64 / window_start.elapsed().as_secs_f64();
            println!(
                "step {done:>7}/{} | loss {:.4} | lr {:.3} | {rate:.0} steps/s",
                steps,
                window_loss / window as f64,
                optimizer.lr()
            );
            window_loss = 0.0;
            window_start = Instant::now();
        }
        if args.eval_interval > 0 && done % args.eval_interval == 0 && done < steps {
            model.eval();
            println!(
                "  eval at step {done}: train {:.4} | val {:.4}",
                split_loss(&model, train),
                split_loss(&model, val)
            );
            model.train();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if steps > 0 {
        println!(
            "trained {} steps in {elapsed:.1} s ({:.0} steps/s)",
            steps,
            steps as f64 / elapsed
        );
    }
    if let Some(path) = &args.loss_log {
        let mut text = String::from("step,loss\n");
        for (step, loss) in loss_log.iter().enumerate() {
            text.push_str(&format!("{step},{loss}\n"));
        }
        std::fs::write(path, text).map_err(|e| format!("cannot write the loss log {}: {e}", path.display()))?;
        println!("loss log written to {}", path.display());
    }

    // Final losses on the full splits, with batch normalisation in evaluation mode.
    model.eval();
    for (name, dataset) in [("train", train), ("val", val), ("test", test)] {
        if dataset.is_empty() {
            println!("{name} loss: none, the split has no examples (the corpus is too small)");
        } else {
            println!("{:<10} {:.4}", format!("{name} loss"), split_loss(&model, dataset));
        }
    }

    // Samples.
    let max_len = corpus.max_word_len() * 2 + args.block_size;
    // A sample that is a word of the corpus is marked, so new names stand out.
    let known: std::collections::HashSet<&str> = corpus.words().iter().map(String::as_str).collect();
    println!("{} samples (* = a word of the corpus):", args.samples);
    for _ in 0..args.samples {
        let name = vocab.decode(&model.sample(&mut rng, max_len));
        let mark = if known.contains(name.as_str()) { " *" } else { "" };
        println!("  {name}{mark}");
    }
    Ok(())
}

/// Mean cross-entropy over every pair of `dataset`, computed in chunks
/// without recording a graph. NaN for an empty dataset.
fn split_loss<M: LanguageModel<f32>>(model: &M, dataset: &Dataset) -> f64 {
    // Small chunks keep the activations of an evaluation pass to a few MiB.
    const CHUNK: usize = 1024;
    let sum_loss = CrossEntropyOptions {
        reduction: Reduction::Sum,
        ..CrossEntropyOptions::default()
    };
    no_grad(|| {
        let mut total = 0.0f64;
        let mut start = 0;
        while start < dataset.len() {
            let end = (start + CHUNK).min(dataset.len());
            let contexts = dataset.contexts().slice(s![start..end, ..]).to_owned().into_dyn();
            let targets = dataset.targets().slice(s![start..end]);
            let logits = model.forward(&contexts);
            total += f64::from(cross_entropy(&logits, &targets, sum_loss).item());
            start = end;
        }
        total / dataset.len() as f64
    })
}
