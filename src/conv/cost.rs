//! The cost model behind [`ConvAlgorithm::Auto`](super::ConvAlgorithm::Auto).
//!
//! Both paths are modelled as a sum of work counts times a per-unit time:
//!
//! - direct: `DIRECT_NS_PER_MAC · N·C_out·(C_in/groups)·K·L_out`, the
//!   multiply-adds of the matrix products, plus `DIRECT_NS_PER_COLUMN_VALUE`
//!   for each im2col value written;
//! - FFT: `FFT_NS_PER_POINT_LOG · M·log₂M` for each of the transforms, plus
//!   `FFT_NS_PER_BIN_MAC · (M/2 + 1)` for each complex multiply-add of the
//!   spectral products (N·C_out·C_in/groups of them).
//!
//! Auto takes the path with the smaller estimate. So FFT wins when the
//! kernel span is long and the channel product is small: with one channel,
//! from kernels of a few dozen taps at signal lengths in the thousands;
//! with 128 channels in and out, practically never at makemore sizes.

use super::fft::fast_length;
use super::geometry::Geometry;

// TODO: replace these estimates with the per-unit times fitted by the
// calibration benchmark once it exists.
const DIRECT_NS_PER_MAC: f64 = 0.25;
const DIRECT_NS_PER_COLUMN_VALUE: f64 = 1.0;
const FFT_NS_PER_POINT_LOG: f64 = 1.0;
const FFT_NS_PER_BIN_MAC: f64 = 1.5;

/// Estimated nanoseconds of one direct pass.
pub(crate) fn direct_cost(geo: &Geometry) -> f64 {
    let column_values = (geo.batch * geo.in_channels * geo.kernel * geo.out_length) as f64;
    DIRECT_NS_PER_MAC * geo.direct_macs() + DIRECT_NS_PER_COLUMN_VALUE * column_values
}

/// Estimated nanoseconds of one FFT pass.
pub(crate) fn fft_cost(geo: &Geometry) -> f64 {
    let m = fast_length(geo.padded_length()) as f64;
    let transforms = (geo.batch * geo.in_channels + geo.out_channels * geo.group_in + geo.batch * geo.out_channels) as f64;
    let products = (geo.batch * geo.out_channels * geo.group_in) as f64;
    FFT_NS_PER_POINT_LOG * transforms * m * m.log2() + FFT_NS_PER_BIN_MAC * products * (m / 2.0 + 1.0)
}

/// Whether Auto takes the FFT path for this call.
pub(crate) fn prefers_fft(geo: &Geometry) -> bool {
    fft_cost(geo) < direct_cost(geo)
}

/// Estimated nanoseconds of a direct signal convolution producing `out_len`
/// values (each at most min(len_a, len_b) multiply-adds).
pub(crate) fn signal_direct_cost(len_a: usize, len_b: usize, out_len: usize) -> f64 {
    DIRECT_NS_PER_MAC * out_len as f64 * len_a.min(len_b) as f64
}

/// Estimated nanoseconds of an FFT signal convolution with a full length of
/// `full_len`: three transforms and one spectral product.
pub(crate) fn signal_fft_cost(full_len: usize) -> f64 {
    let m = fast_length(full_len) as f64;
    FFT_NS_PER_POINT_LOG * 3.0 * m * m.log2() + FFT_NS_PER_BIN_MAC * (m / 2.0 + 1.0)
}
