//! Fits the per-unit times of the `ConvAlgorithm::Auto` cost model.
//!
//! Times the forward pass of `conv1d` on the direct and the FFT path over a
//! grid of shapes on both sides of the crossover, then fits, by least squares
//! on relative error, the two per-unit times of each path's model
//! (see `convgrad::conv::CostFeatures`). Prints every measurement, the fitted
//! constants, and how often the fitted model picks the faster path.
//!
//! ```text
//! cargo bench --bench conv_calibration
//! ```
//!
//! The constants in `src/conv/cost.rs` and the record in
//! `benches/conv_calibration.md` come from this program.

use std::time::{Duration, Instant};

use convgrad::conv::{conv1d, cost_features, Conv1dOptions, ConvAlgorithm, CostFeatures};
use convgrad::{manual_seed, no_grad, Tensor};

/// Skip direct measurements above this many multiply-adds (they take seconds).
const MAX_DIRECT_MACS: f64 = 3e9;

struct Sample {
    shape: String,
    features: CostFeatures,
    direct_ns: Option<f64>,
    fft_ns: f64,
}

fn main() {
    // `cargo bench` passes "--bench"; any other argument filters nothing here.
    manual_seed(0);
    let mut samples = Vec::new();
    for &(batch, channels) in &[(1, 1), (4, 4), (1, 16), (8, 16), (32, 64)] {
        for &length in &[256usize, 2048, 16_384, 65_536] {
            for &kernel in &[2usize, 8, 32, 128, 512, 2048] {
                if kernel > length || (batch * channels * length > 2_000_000) {
                    continue;
                }
                samples.push(measure(batch, channels, length, kernel));
            }
        }
    }

    println!(
        "{:<34} {:>12} {:>12} {:>8}",
        "shape (N, C_in=C_out, L, K)", "direct ms", "fft ms", "variant"
    );
    for s in &samples {
        let direct = s.direct_ns.map_or("skipped".to_string(), |t| format!("{:.3}", t / 1e6));
        let variant = if s.features.direct_sliding { "sliding" } else { "im2col" };
        println!("{:<34} {:>12} {:>12.3} {:>8}", s.shape, direct, s.fft_ns / 1e6, variant);
    }

    let direct_points = |sliding: bool| -> Vec<([f64; 2], f64)> {
        samples
            .iter()
            .filter(|s| s.features.direct_sliding == sliding)
            .filter_map(|s| {
                s.direct_ns
                    .map(|t| ([s.features.direct_macs, s.features.direct_overhead_units], t))
            })
            .collect()
    };
    let fft_points: Vec<([f64; 2], f64)> = samples
        .iter()
        .map(|s| ([s.features.fft_transform_work, s.features.fft_bin_macs], s.fft_ns))
        .collect();
    let [per_mac, per_column_value] = fit(&direct_points(false));
    let [sliding_per_mac, sliding_per_output] = fit(&direct_points(true));
    let [per_point_log, per_bin_mac] = fit(&fft_points);
    println!();
    println!("DIRECT_GEMM_NS_PER_MAC     = {per_mac:.4}");
    println!("DIRECT_SLIDING_NS_PER_MAC  = {sliding_per_mac:.4}");
    println!("DIRECT_SLIDING_NS_PER_OUTPUT = {sliding_per_output:.4}");
    println!("DIRECT_NS_PER_COLUMN_VALUE = {per_column_value:.4}");
    println!("FFT_NS_PER_POINT_LOG       = {per_point_log:.4}");
    println!("FFT_NS_PER_BIN_MAC         = {per_bin_mac:.4}");

    // How the fitted model would choose, against the measured faster path.
    let mut agree = 0;
    let mut total = 0;
    let mut worst_ratio: f64 = 1.0;
    let mut worst_shape = String::new();
    for s in samples.iter().filter(|s| s.direct_ns.is_some()) {
        let direct = s.direct_ns.expect("filtered");
        let predicted_fft = per_point_log * s.features.fft_transform_work + per_bin_mac * s.features.fft_bin_macs;
        let predicted_direct = if s.features.direct_sliding {
            sliding_per_mac * s.features.direct_macs + sliding_per_output * s.features.direct_overhead_units
        } else {
            per_mac * s.features.direct_macs + per_column_value * s.features.direct_overhead_units
        };
        let chosen = if predicted_fft < predicted_direct {
            s.fft_ns
        } else {
            direct
        };
        let best = s.fft_ns.min(direct);
        total += 1;
        if chosen == best {
            agree += 1;
        }
        if chosen / best > worst_ratio {
            worst_ratio = chosen / best;
            worst_shape = s.shape.clone();
        }
    }
    println!("fitted model picks the faster path in {agree} of {total} shapes; worst choice {worst_ratio:.2}x the faster, at {worst_shape}");
}

fn measure(batch: usize, channels: usize, length: usize, kernel: usize) -> Sample {
    let options = Conv1dOptions::default();
    let features = cost_features(&[batch, channels, length], &[channels, channels, kernel], &options);
    let x = Tensor::<f32>::randn(&[batch, channels, length]);
    let w = Tensor::<f32>::randn(&[channels, channels, kernel]);
    let time = |algorithm| median_ns(|| no_grad(|| conv1d(&x, &w, None, Conv1dOptions { algorithm, ..options })));
    let direct_ns = (features.direct_macs <= MAX_DIRECT_MACS).then(|| time(ConvAlgorithm::Direct));
    let fft_ns = time(ConvAlgorithm::Fft);
    Sample {
        shape: format!("({batch}, {channels}, {length}, {kernel})"),
        features,
        direct_ns,
        fft_ns,
    }
}

/// Median wall time of `f` over at least 3 runs and about 100 ms.
fn median_ns<R>(mut f: impl FnMut() -> R) -> f64 {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 3 || (started.elapsed() < Duration::from_millis(100) && times.len() < 50) {
        let t = Instant::now();
        std::hint::black_box(f());
        times.push(t.elapsed().as_nanos() as f64);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Least squares for t ≈ a·x₀ + b·x₁ with relative residuals (each row is
/// divided by its t), with both coefficients kept non-negative.
fn fit(points: &[([f64; 2], f64)]) -> [f64; 2] {
    let solve = |use0: bool, use1: bool| -> [f64; 2] {
        let (mut s00, mut s01, mut s11, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &([x0, x1], t) in points {
            let (x0, x1) = (if use0 { x0 / t } else { 0.0 }, if use1 { x1 / t } else { 0.0 });
            s00 += x0 * x0;
            s01 += x0 * x1;
            s11 += x1 * x1;
            r0 += x0;
            r1 += x1;
        }
        match (use0, use1) {
            (true, true) => {
                let det = s00 * s11 - s01 * s01;
                [(r0 * s11 - r1 * s01) / det, (r1 * s00 - r0 * s01) / det]
            }
            (true, false) => [r0 / s00, 0.0],
            _ => [0.0, r1 / s11],
        }
    };
    let both = solve(true, true);
    if both[0] >= 0.0 && both[1] >= 0.0 {
        return both;
    }
    let error = |c: [f64; 2]| {
        points
            .iter()
            .map(|&([x0, x1], t)| ((c[0] * x0 + c[1] * x1) / t - 1.0).powi(2))
            .sum::<f64>()
    };
    let (first, second) = (solve(true, false), solve(false, true));
    if error(first) <= error(second) {
        first
    } else {
        second
    }
}
