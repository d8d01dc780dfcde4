//! Measures the forward time of `conv1d` by the direct and the FFT path
//! against kernel length, at a few signal lengths, and draws the result as
//! an SVG: one line per path and length, with the measured crossover and the
//! kernel length from which `ConvAlgorithm::Auto` picks FFT marked.
//!
//! ```text
//! cargo run --release --example conv_crossover -- --output docs/conv_crossover.svg
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use convgrad::conv::{auto_choice, conv1d, Conv1dOptions, ConvAlgorithm};
use convgrad::{manual_seed, no_grad, Tensor};
use plotters::prelude::*;

/// Time direct and FFT convolution against kernel length and plot them.
#[derive(Parser, Debug)]
struct Args {
    /// Where to write the SVG.
    #[arg(long, default_value = "docs/conv_crossover.svg")]
    output: PathBuf,

    /// Input and output channels of every measured convolution (batch 1).
    #[arg(long, default_value_t = 1)]
    channels: usize,
}

const LENGTHS: [usize; 3] = [4_096, 16_384, 100_000];
const KERNELS: [usize; 12] = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

struct Series {
    length: usize,
    direct_ms: Vec<(usize, f64)>,
    fft_ms: Vec<(usize, f64)>,
    /// Smallest kernel where FFT was measured faster.
    measured_crossover: Option<usize>,
    /// Smallest kernel for which Auto picks FFT.
    auto_switch: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.channels == 0 {
        eprintln!("error: --channels must be positive");
        return ExitCode::FAILURE;
    }
    manual_seed(0);
    let series: Vec<Series> = LENGTHS.iter().map(|&length| measure(length, args.channels)).collect();
    for s in &series {
        println!("L = {}", s.length);
        println!("  {:>6} {:>12} {:>12} {:>6}", "K", "direct ms", "fft ms", "auto");
        for (&(k, direct), &(_, fft)) in s.direct_ms.iter().zip(&s.fft_ms) {
            let auto = if Some(k) >= s.auto_switch && s.auto_switch.is_some() {
                "fft"
            } else {
                "direct"
            };
            println!("  {k:>6} {direct:>12.4} {fft:>12.4} {auto:>6}");
        }
        println!(
            "  measured crossover: K = {:?}; Auto switches to FFT at K = {:?}",
            s.measured_crossover, s.auto_switch
        );
    }
    if let Err(error) = draw(&args, &series) {
        eprintln!("error: cannot write {}: {error}", args.output.display());
        return ExitCode::FAILURE;
    }
    println!("plot written to {}", args.output.display());
    ExitCode::SUCCESS
}

fn measure(length: usize, channels: usize) -> Series {
    let x = Tensor::<f32>::randn(&[1, channels, length]);
    let mut series = Series {
        length,
        direct_ms: Vec::new(),
        fft_ms: Vec::new(),
        measured_crossover: None,
        auto_switch: None,
    };
    for &kernel in &KERNELS {
        let w = Tensor::<f32>::randn(&[channels, channels, kernel]);
        let time = |algorithm| {
            median_ms(|| {
                no_grad(|| {
                    conv1d(
                        &x,
                        &w,
                        None,
                        Conv1dOptions {
                            algorithm,
                            ..Default::default()
                        },
                    )
                })
            })
        };
        let (direct, fft) = (time(ConvAlgorithm::Direct), time(ConvAlgorithm::Fft));
        series.direct_ms.push((kernel, direct));
        series.fft_ms.push((kernel, fft));
        if fft < direct && series.measured_crossover.is_none() {
            series.measured_crossover = Some(kernel);
        }
        let auto = auto_choice(
            &[1, channels, length],
            &[channels, channels, kernel],
            &Conv1dOptions::default(),
        );
        if auto == ConvAlgorithm::Fft && series.auto_switch.is_none() {
            series.auto_switch = Some(kernel);
        }
    }
    series
}

/// Median wall time of `f` in milliseconds, over at least 3 runs and about 200 ms.
fn median_ms<R>(mut f: impl FnMut() -> R) -> f64 {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 3 || (started.elapsed() < Duration::from_millis(200) && times.len() < 30) {
        let t = Instant::now();
        std::hint::black_box(f());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn draw(args: &Args, series: &[Series]) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(parent) = args.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let all_times = series
        .iter()
        .flat_map(|s| s.direct_ms.iter().chain(&s.fft_ms).map(|&(_, t)| t));
    let (low, high) = all_times.fold((f64::INFINITY, 0.0f64), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let root = SVGBackend::new(&args.output, (900, 630)).into_drawing_area();
    root.fill(&WHITE)?;
    let (plot_area, note_area) = root.split_vertically(600);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(
            format!(
                "conv1d forward, f32, batch 1, {} channel(s): direct vs FFT",
                args.channels
            ),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((1.5f64..6000.0).log_scale(), (low * 0.7..high * 1.5).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("kernel length K")
        .y_desc("median time (ms)")
        .draw()?;

    let colors = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44)];
    for (s, &color) in series.iter().zip(&colors) {
        let points = |values: &[(usize, f64)]| values.iter().map(|&(k, t)| (k as f64, t)).collect::<Vec<_>>();
        chart
            .draw_series(LineSeries::new(points(&s.direct_ms), color.stroke_width(2)))?
            .label(format!("direct, L = {}", s.length))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(DashedLineSeries::new(points(&s.fft_ms), 6, 4, color.stroke_width(2)))?
            .label(format!("FFT, L = {}", s.length))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(1)));
        if let Some(k) = s.measured_crossover {
            let t = s.fft_ms.iter().find(|&&(kk, _)| kk == k).map_or(low, |&(_, t)| t);
            chart.draw_series(std::iter::once(Circle::new((k as f64, t), 7, color.filled())))?;
        }
        if let Some(k) = s.auto_switch {
            let t = s.fft_ms.iter().find(|&&(kk, _)| kk == k).map_or(low, |&(_, t)| t);
            chart.draw_series(std::iter::once(TriangleMarker::new(
                (k as f64, t),
                9,
                color.stroke_width(2),
            )))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    note_area.draw(&Text::new(
        "solid: direct, dashed: FFT; filled circle: measured crossover; triangle: where Auto switches to FFT",
        (80, 5),
        ("sans-serif", 14),
    ))?;
    root.present()?;
    Ok(())
}
