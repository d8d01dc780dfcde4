//! Convolution of two plain 1-D signals, as `numpy.convolve` and
//! `scipy.signal.fftconvolve` compute it. No graph is recorded.

use ndarray::{Array1, ArrayView1};
use num_complex::Complex;

use super::fft::{fast_length, Transforms};
use super::ConvAlgorithm;
use crate::element::Element;

/// Which part of the full convolution [`convolve`] returns, as numpy names
/// the modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConvolveMode {
    /// Every position where the signals overlap: length `len(a) + len(b) - 1`.
    #[default]
    Full,
    /// The centre of the full result, of length `max(len(a), len(b))`,
    /// starting at index `(min(len(a), len(b)) - 1) / 2` of it.
    ///
    /// This is `numpy.convolve`'s choice. `scipy.signal.fftconvolve` returns
    /// the same values when `len(a) >= len(b)`, but `len(a)` values when `a`
    /// is the shorter signal.
    Same,
    /// Only positions where one signal lies entirely inside the other:
    /// length `max - min + 1`.
    Valid,
}

/// The discrete convolution `(a ∗ b)[n] = Σ_i a[i] · b[n - i]` of two
/// signals, in the part that `mode` selects, by the path that `method`
/// selects. Unlike [`conv1d`](super::conv1d), this flips `b`: it is the
/// convolution of signal processing, not the cross-correlation of neural
/// networks.
///
/// ```
/// use convgrad::conv::{convolve, ConvAlgorithm, ConvolveMode};
/// use ndarray::array;
///
/// let a = array![1.0, 2.0, 3.0];
/// let b = array![4.0, 5.0, 6.0];
/// let full = convolve(a.view(), b.view(), ConvolveMode::Full, ConvAlgorithm::Direct);
/// assert_eq!(full, array![4.0, 13.0, 28.0, 27.0, 18.0]);
/// ```
///
/// # Panics
/// If either signal is empty.
pub fn convolve<T: Element>(
    a: ArrayView1<'_, T>,
    b: ArrayView1<'_, T>,
    mode: ConvolveMode,
    method: ConvAlgorithm,
) -> Array1<T> {
    if a.is_empty() || b.is_empty() {
        crate::fail(
            "convolve",
            format!(
                "both signals must be non-empty, got lengths {} and {}",
                a.len(),
                b.len()
            ),
        );
    }
    let (long, short) = (a.len().max(b.len()), a.len().min(b.len()));
    let (start, len) = match mode {
        ConvolveMode::Full => (0, long + short - 1),
        ConvolveMode::Same => ((short - 1) / 2, long),
        ConvolveMode::Valid => (short - 1, long - short + 1),
    };
    let a = a.as_standard_layout();
    let b = b.as_standard_layout();
    let (a, b) = (
        a.as_slice().expect("standard layout"),
        b.as_slice().expect("standard layout"),
    );
    let values = match resolve(method, a.len(), b.len(), len) {
        ConvAlgorithm::Fft => fft_convolve(a, b, start, len),
        _ => direct_convolve(a, b, start, len),
    };
    Array1::from(values)
}

fn resolve(method: ConvAlgorithm, len_a: usize, len_b: usize, out_len: usize) -> ConvAlgorithm {
    match method {
        ConvAlgorithm::Auto => {
            let direct = super::cost::signal_direct_cost(len_a, len_b, out_len);
            let fft = super::cost::signal_fft_cost(len_a + len_b - 1);
            if fft < direct {
                ConvAlgorithm::Fft
            } else {
                ConvAlgorithm::Direct
            }
        }
        chosen => chosen,
    }
}

/// Positions `start..start + len` of the full convolution, by direct sums.
///
/// On x86-64 processors with AVX2 and FMA (detected at run time) the same
/// loops are compiled for those instructions, with fused multiply-adds.
fn direct_convolve<T: Element>(a: &[T], b: &[T], start: usize, len: usize) -> Vec<T> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor supports the features the function is compiled for.
            return unsafe { direct_convolve_avx2_fma(a, b, start, len) };
        }
    }
    direct_convolve_blocked::<T, false, 16>(a, b, start, len)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn direct_convolve_avx2_fma<T: Element>(a: &[T], b: &[T], start: usize, len: usize) -> Vec<T> {
    // Eight 256-bit accumulators: enough independent fused multiply-adds to
    // cover their latency on both FMA ports, with registers left for loads.
    if std::mem::size_of::<T>() == 8 {
        direct_convolve_blocked::<T, true, 32>(a, b, start, len)
    } else {
        direct_convolve_blocked::<T, true, 64>(a, b, start, len)
    }
}

/// y[n] = Σ_j taps[j]·signal[n - j] for n in `start..start + len`, where
/// `taps` is the shorter input (convolution is symmetric in its inputs).
/// `BLOCK` outputs are computed together, each in its own accumulator, so
/// the inner loop is a fixed-width multiply-add that the compiler turns into
/// vector instructions. With `FUSED`, each multiply-add is one fused
/// operation (a single rounding), which is fast only where the processor has
/// FMA.
#[inline(always)]
fn direct_convolve_blocked<T: Element, const FUSED: bool, const BLOCK: usize>(
    a: &[T],
    b: &[T],
    start: usize,
    len: usize,
) -> Vec<T> {
    let (signal, taps) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let multiply_add = |acc: T, tap: T, x: T| if FUSED { tap.mul_add(x, acc) } else { acc + tap * x };
    let last_signal = signal.len() - 1;
    let mut out = vec![T::zero(); len];

    for (block_index, block) in out.chunks_mut(BLOCK).enumerate() {
        let n0 = start + block_index * BLOCK;
        let n_last = n0 + block.len() - 1;
        // Taps that touch some output of the block: n - j must lie in 0..=last_signal.
        let j_first = n0.saturating_sub(last_signal);
        let j_end = (n_last + 1).min(taps.len());
        // Taps that touch every output of the block, without running off either end.
        let j_full_first = n_last.saturating_sub(last_signal).max(j_first);
        let j_full_end = (n0 + 1).min(j_end);

        let mut acc = [T::zero(); BLOCK];
        if block.len() == BLOCK && j_full_first < j_full_end {
            for j in j_full_first..j_full_end {
                let window: &[T; BLOCK] = signal[n0 - j..n0 - j + BLOCK].try_into().expect("BLOCK values");
                let tap = taps[j];
                for (slot, &x) in acc.iter_mut().zip(window) {
                    *slot = multiply_add(*slot, tap, x);
                }
            }
            // The remaining taps reach past an end of the signal for some outputs.
            for j in (j_first..j_full_first).chain(j_full_end..j_end) {
                for (w, slot) in acc.iter_mut().enumerate() {
                    if let Some(x) = (n0 + w).checked_sub(j).and_then(|i| signal.get(i)) {
                        *slot = multiply_add(*slot, taps[j], *x);
                    }
                }
            }
        } else {
            for j in j_first..j_end {
                for (w, slot) in acc.iter_mut().take(block.len()).enumerate() {
                    if let Some(x) = (n0 + w).checked_sub(j).and_then(|i| signal.get(i)) {
                        *slot = multiply_add(*slot, taps[j], *x);
                    }
                }
            }
        }
        block.copy_from_slice(&acc[..block.len()]);
    }
    out
}

/// Positions `start..start + len` of the full convolution, through real
/// FFTs of one fast length at least `len(a) + len(b) - 1`.
fn fft_convolve<T: Element>(a: &[T], b: &[T], start: usize, len: usize) -> Vec<T> {
    let mut fft = Transforms::new(fast_length(a.len() + b.len() - 1));
    let bins = fft.bins();
    let mut spectrum_a = vec![Complex::default(); bins];
    let mut spectrum_b = vec![Complex::default(); bins];
    fft.forward_into(&mut spectrum_a, |buffer| buffer[..a.len()].copy_from_slice(a));
    fft.forward_into(&mut spectrum_b, |buffer| buffer[..b.len()].copy_from_slice(b));
    for (x, &y) in spectrum_a.iter_mut().zip(&spectrum_b) {
        *x = *x * y;
    }
    let scale = T::one() / T::from_usize(fft.len).expect("length fits the float type");
    let full = fft.inverse(&mut spectrum_a);
    full[start..start + len].iter().map(|&v| v * scale).collect()
}
