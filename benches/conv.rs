//! Direct against FFT convolution: `conv1d` forward, and forward plus
//! backward, by `Direct`, `Fft` and `Auto`, and the signal-level `convolve`.
//!
//! ```text
//! cargo bench --bench conv                       # default grid, about 10 minutes on 2 cores
//! CONVGRAD_BENCH_SLOW=1 cargo bench --bench conv # also the direct runs above 2e9 multiply-adds
//! cargo bench --bench conv -- 'conv1d_long/fft'  # one filter (criterion's regex)
//! ```
//!
//! The shapes are those of the PyTorch peer script (`torch_conv1d_bench.py`),
//! so the two can be set side by side. Benchmark ids encode the shape:
//! `n{batch}_cin{C_in}_cout{C_out}_l{L}_k{K}_s{stride}_d{dilation}_p{padding}`.

use std::time::Duration;

use convgrad::conv::{conv1d, convolve, Conv1dOptions, ConvAlgorithm, ConvolveMode, Padding};
use convgrad::{manual_seed, no_grad, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array1;

/// Direct runs above this many multiply-adds run only with CONVGRAD_BENCH_SLOW=1.
const SLOW_MACS: f64 = 2e9;

#[derive(Clone, Copy)]
struct Shape {
    batch: usize,
    c_in: usize,
    c_out: usize,
    length: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: usize,
}

impl Shape {
    fn id(&self) -> String {
        format!(
            "n{}_cin{}_cout{}_l{}_k{}_s{}_d{}_p{}",
            self.batch, self.c_in, self.c_out, self.length, self.kernel, self.stride, self.dilation, self.padding
        )
    }

    fn direct_macs(&self) -> f64 {
        let span = self.dilation * (self.kernel - 1) + 1;
        let out = (self.length + 2 * self.padding - span) / self.stride + 1;
        (self.batch * self.c_out * self.c_in * self.kernel * out) as f64
    }
}

/// The makemore WaveNet layers: batch 32, kernel 2, bias, no padding.
fn wavenet_shapes() -> Vec<Shape> {
    let layer = |c_in, c_out, length, stride, dilation| Shape {
        batch: 32,
        c_in,
        c_out,
        length,
        kernel: 2,
        stride,
        dilation,
        padding: 0,
    };
    let mut shapes = vec![
        layer(24, 128, 8, 2, 1),
        layer(128, 128, 4, 2, 1),
        layer(128, 128, 2, 2, 1),
        layer(24, 128, 8, 1, 1),
        layer(128, 128, 7, 1, 2),
        layer(128, 128, 5, 1, 4),
    ];
    for length in [8, 16] {
        for (c_in, c_out) in [(24, 128), (64, 64), (128, 128)] {
            for dilation in [1, 2, 4] {
                let shape = layer(c_in, c_out, length, 1, dilation);
                // The first dilated layer above is also a grid point.
                if !shapes.iter().any(|s| s.id() == shape.id()) {
                    shapes.push(shape);
                }
            }
        }
    }
    shapes
}

/// Long signals with full padding (K - 1 on each side), bias.
fn long_shapes() -> Vec<Shape> {
    let signal = |batch, channels, length, kernel| Shape {
        batch,
        c_in: channels,
        c_out: channels,
        length,
        kernel,
        stride: 1,
        dilation: 1,
        padding: kernel - 1,
    };
    let mut shapes = Vec::new();
    shapes.extend([3, 64, 1024, 4096].map(|k| signal(1, 1, 4096, k)));
    shapes.extend([3, 64, 1024].map(|k| signal(1, 1, 100_000, k)));
    shapes.extend([3, 64, 1024].map(|k| signal(8, 16, 4096, k)));
    shapes.extend([3, 64].map(|k| signal(8, 16, 100_000, k)));
    shapes.extend([3, 256].map(|k| signal(4, 8, 16_384, k)));
    shapes
}

fn bench_group(c: &mut Criterion, name: &str, shapes: &[Shape]) {
    let slow = std::env::var_os("CONVGRAD_BENCH_SLOW").is_some();
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    manual_seed(0);
    for shape in shapes {
        let x = Tensor::<f32>::randn(&[shape.batch, shape.c_in, shape.length]).requires_grad_(true);
        let w = Tensor::<f32>::randn(&[shape.c_out, shape.c_in, shape.kernel]).requires_grad_(true);
        let b = Tensor::<f32>::randn(&[shape.c_out]).requires_grad_(true);
        for (label, algorithm) in [
            ("direct", ConvAlgorithm::Direct),
            ("fft", ConvAlgorithm::Fft),
            ("auto", ConvAlgorithm::Auto),
        ] {
            if algorithm == ConvAlgorithm::Direct && shape.direct_macs() > SLOW_MACS && !slow {
                continue;
            }
            let options = Conv1dOptions {
                stride: shape.stride,
                dilation: shape.dilation,
                padding: Padding::Zeros(shape.padding),
                algorithm,
                ..Conv1dOptions::default()
            };
            group.bench_with_input(
                BenchmarkId::new(format!("{label}/forward"), shape.id()),
                shape,
                |bencher, _| bencher.iter(|| no_grad(|| conv1d(&x, &w, Some(&b), options))),
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{label}/forward_backward"), shape.id()),
                shape,
                |bencher, _| {
                    bencher.iter(|| {
                        let y = conv1d(&x, &w, Some(&b), options);
                        y.sum_all().backward();
                    })
                },
            );
        }
    }
    group.finish();
}

fn conv1d_wavenet(c: &mut Criterion) {
    bench_group(c, "conv1d_wavenet", &wavenet_shapes());
}

fn conv1d_long(c: &mut Criterion) {
    bench_group(c, "conv1d_long", &long_shapes());
}

/// `convolve` of two random length-N f64 signals, full mode.
fn convolve_signals(c: &mut Criterion) {
    let mut group = c.benchmark_group("convolve_f64");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for n in [1_000usize, 10_000, 100_000] {
        manual_seed(1);
        let a: Array1<f64> = Tensor::<f64>::randn(&[n])
            .to_array()
            .into_dimensionality()
            .expect("1-D");
        let b: Array1<f64> = Tensor::<f64>::randn(&[n])
            .to_array()
            .into_dimensionality()
            .expect("1-D");
        for (label, method) in [("direct", ConvAlgorithm::Direct), ("fft", ConvAlgorithm::Fft)] {
            group.bench_with_input(BenchmarkId::new(label, format!("n{n}")), &n, |bencher, _| {
                bencher.iter(|| convolve(a.view(), b.view(), ConvolveMode::Full, method))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, conv1d_wavenet, conv1d_long, convolve_signals);
criterion_main!(benches);
