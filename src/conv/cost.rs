//! The cost model behind [`ConvAlgorithm::Auto`].
//!
//! Each path's time is modelled as work counts times per-unit times
//! ([`CostFeatures`]):
//!
//! - direct, im2col variant: `DIRECT_GEMM_NS_PER_MAC` for each multiply-add
//!   of the matrix products, N·C_out·(C_in/groups)·K·L_out, plus
//!   `DIRECT_NS_PER_COLUMN_VALUE` for each im2col value written,
//!   N·C_in·K·L_out;
//! - direct, sliding-dot variant (few channels per group or long kernels):
//!   `DIRECT_SLIDING_NS_PER_MAC` for each multiply-add, plus
//!   `DIRECT_SLIDING_NS_PER_OUTPUT` for each output value of each channel
//!   pair, N·C_out·(C_in/groups)·L_out (loading and storing accumulators);
//! - FFT: `FFT_NS_PER_POINT_LOG` for each M·log₂M of the real transforms
//!   (N·C_in + C_out·C_in/groups + N·C_out of them, length M), plus
//!   `FFT_NS_PER_BIN_MAC` for each complex multiply-add of the spectral
//!   products, N·C_out·(C_in/groups)·(M/2 + 1).
//!
//! Auto takes the path with the smaller estimate: FFT when the kernel is
//! long and the channel product small, direct otherwise (always at makemore
//! sizes, where K = 2).

use super::fft::fast_length;
use super::geometry::Geometry;
use super::{Conv1dOptions, ConvAlgorithm};

// Per-unit times fitted by `cargo bench --bench conv_calibration` (f32,
// one thread, 2-core AMD EPYC virtual machine); the measurements are in
// benches/conv_calibration.md.
const DIRECT_GEMM_NS_PER_MAC: f64 = 0.0268;
const DIRECT_NS_PER_COLUMN_VALUE: f64 = 0.2513;
const DIRECT_SLIDING_NS_PER_MAC: f64 = 0.0326;
const DIRECT_SLIDING_NS_PER_OUTPUT: f64 = 0.1216;
const FFT_NS_PER_POINT_LOG: f64 = 0.1502;
const FFT_NS_PER_BIN_MAC: f64 = 0.3328;

/// The work counts of one forward `conv1d` call on each path, the inputs of
/// the cost model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostFeatures {
    /// Direct path: multiply-adds.
    pub direct_macs: f64,
    /// Direct path, im2col variant: im2col values written. Sliding-dot
    /// variant: output values summed per channel pair, N·C_out·(C_in/groups)·L_out.
    pub direct_overhead_units: f64,
    /// Direct path: whether it runs the sliding-dot variant.
    pub direct_sliding: bool,
    /// FFT path: Σ M·log₂M over the real transforms.
    pub fft_transform_work: f64,
    /// FFT path: complex multiply-adds of the spectral products.
    pub fft_bin_macs: f64,
}

impl CostFeatures {
    pub(crate) fn of(geo: &Geometry) -> Self {
        let m = fast_length(geo.padded_length()) as f64;
        let transforms =
            (geo.batch * geo.in_channels + geo.out_channels * geo.group_in + geo.batch * geo.out_channels) as f64;
        CostFeatures {
            direct_macs: geo.direct_macs(),
            direct_overhead_units: if geo.uses_sliding() {
                (geo.batch * geo.out_channels * geo.group_in * geo.out_length) as f64
            } else {
                (geo.batch * geo.in_channels * geo.kernel * geo.out_length) as f64
            },
            direct_sliding: geo.uses_sliding(),
            fft_transform_work: transforms * m * m.log2(),
            fft_bin_macs: (geo.batch * geo.out_channels * geo.group_in) as f64 * (m / 2.0 + 1.0),
        }
    }

    /// Estimated nanoseconds of the direct path.
    pub fn direct_ns(&self) -> f64 {
        if self.direct_sliding {
            DIRECT_SLIDING_NS_PER_MAC * self.direct_macs + DIRECT_SLIDING_NS_PER_OUTPUT * self.direct_overhead_units
        } else {
            DIRECT_GEMM_NS_PER_MAC * self.direct_macs + DIRECT_NS_PER_COLUMN_VALUE * self.direct_overhead_units
        }
    }

    /// Estimated nanoseconds of the FFT path.
    pub fn fft_ns(&self) -> f64 {
        FFT_NS_PER_POINT_LOG * self.fft_transform_work + FFT_NS_PER_BIN_MAC * self.fft_bin_macs
    }
}

/// The work counts of a forward `conv1d` call with these shapes, for
/// inspecting or refitting the cost model.
///
/// # Panics
/// As [`conv1d`](super::conv1d), for invalid shapes or options.
pub fn cost_features(input_shape: &[usize], weight_shape: &[usize], options: &Conv1dOptions) -> CostFeatures {
    CostFeatures::of(&Geometry::new(&batched(input_shape), weight_shape, options))
}

/// The path that [`ConvAlgorithm::Auto`] takes for a `conv1d` call with
/// these shapes.
///
/// ```
/// use convgrad::conv::{auto_choice, Conv1dOptions, ConvAlgorithm};
///
/// // A makemore-sized layer: short kernel, many channels.
/// let small = auto_choice(&[32, 128, 8], &[128, 128, 2], &Conv1dOptions::default());
/// assert_eq!(small, ConvAlgorithm::Direct);
/// // One long signal filtered by a long kernel.
/// let long = auto_choice(&[1, 1, 100_000], &[1, 1, 4096], &Conv1dOptions::default());
/// assert_eq!(long, ConvAlgorithm::Fft);
/// ```
///
/// # Panics
/// As [`conv1d`](super::conv1d), for invalid shapes or options.
pub fn auto_choice(input_shape: &[usize], weight_shape: &[usize], options: &Conv1dOptions) -> ConvAlgorithm {
    let geo = Geometry::new(&batched(input_shape), weight_shape, options);
    if prefers_fft(&geo) {
        ConvAlgorithm::Fft
    } else {
        ConvAlgorithm::Direct
    }
}

fn batched(shape: &[usize]) -> Vec<usize> {
    match shape {
        &[c, l] => vec![1, c, l],
        other => other.to_vec(),
    }
}

/// Whether Auto takes the FFT path for this call.
pub(crate) fn prefers_fft(geo: &Geometry) -> bool {
    let features = CostFeatures::of(geo);
    features.fft_ns() < features.direct_ns()
}

/// Estimated nanoseconds of a direct signal convolution producing `out_len`
/// values (each at most min(len_a, len_b) multiply-adds).
pub(crate) fn signal_direct_cost(len_a: usize, len_b: usize, out_len: usize) -> f64 {
    DIRECT_SLIDING_NS_PER_MAC * out_len as f64 * len_a.min(len_b) as f64 + DIRECT_SLIDING_NS_PER_OUTPUT * out_len as f64
}

/// Estimated nanoseconds of an FFT signal convolution with a full length of
/// `full_len`: three transforms and one spectral product.
pub(crate) fn signal_fft_cost(full_len: usize) -> f64 {
    let m = fast_length(full_len) as f64;
    FFT_NS_PER_POINT_LOG * 3.0 * m * m.log2() + FFT_NS_PER_BIN_MAC * (m / 2.0 + 1.0)
}
