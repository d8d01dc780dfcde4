//! The FFT path: every product of the convolution becomes a pointwise
//! product of spectra.
//!
//! All rows of one call share one transform length M, the smallest even
//! number of the form 2^a·3^b·5^c·7^d that is at least the padded input
//! length (rustfft has fast kernels for these factors). Signals sit in an
//! M-long zero buffer, with the left padding as leading zeros; kernels are
//! dilated by placing tap k at position k·dilation. With X, W and G the real
//! FFTs (realfft, unnormalised, so inverses are divided by M) of input,
//! dilated kernel and stride-upsampled output gradient:
//!
//! - forward: the dense cross-correlation is IFFT(Σ_c X_c · conj(W_oc)),
//!   read at every stride-th position;
//! - input gradient: IFFT(Σ_o G_o · W_oc), read at the unpadded positions;
//! - weight gradient: IFFT(Σ_n conj(G_no) · X_nc), read at lags k·dilation.
//!
//! M ≥ padded length is enough for all three: the circular wrap-around only
//! reaches positions that are never read. Plans come from a process-wide
//! planner per element type, so each length is planned once.

use std::sync::Arc;

use num_complex::Complex;
use realfft::{ComplexToReal, RealToComplex};

use super::geometry::Geometry;
use crate::element::Element;

/// The smallest even 7-smooth number (only prime factors 2, 3, 5, 7) that
/// is at least `minimum`.
pub fn fast_length(minimum: usize) -> usize {
    let mut candidate = minimum.max(2);
    candidate += candidate % 2;
    loop {
        let mut rest = candidate;
        for factor in [2, 3, 5, 7] {
            while rest % factor == 0 {
                rest /= factor;
            }
        }
        if rest == 1 {
            return candidate;
        }
        candidate += 2;
    }
}

/// A forward and an inverse real FFT of one length, with scratch space.
pub(crate) struct Transforms<T: Element> {
    pub len: usize,
    forward: Arc<dyn RealToComplex<T>>,
    inverse: Arc<dyn ComplexToReal<T>>,
    signal: Vec<T>,
    scratch: Vec<Complex<T>>,
}

impl<T: Element> Transforms<T> {
    pub fn new(len: usize) -> Self {
        let (forward, inverse) = {
            let mut planner = T::fft_planner().lock().expect("FFT planner lock poisoned");
            (planner.plan_fft_forward(len), planner.plan_fft_inverse(len))
        };
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Transforms {
            len,
            forward,
            inverse,
            signal: vec![T::zero(); len],
            scratch: vec![Complex::default(); scratch_len],
        }
    }

    /// Number of complex bins of a spectrum: M/2 + 1.
    pub fn bins(&self) -> usize {
        self.len / 2 + 1
    }

    /// Transforms the signal that `fill` writes into a zeroed M-long buffer.
    pub fn forward_into(&mut self, spectrum: &mut [Complex<T>], fill: impl FnOnce(&mut [T])) {
        self.signal.fill(T::zero());
        fill(&mut self.signal);
        self.forward
            .process_with_scratch(&mut self.signal, spectrum, &mut self.scratch)
            .expect("buffer lengths match the plan");
    }

    /// Inverse-transforms `spectrum` (overwritten) and returns the signal,
    /// not yet divided by M.
    pub fn inverse(&mut self, spectrum: &mut [Complex<T>]) -> &[T] {
        // A real signal has a real DC bin (and a real Nyquist bin for even
        // M); rounding in the products can leave a tiny imaginary part there.
        spectrum[0].im = T::zero();
        let last = spectrum.len() - 1;
        spectrum[last].im = T::zero();
        self.inverse
            .process_with_scratch(spectrum, &mut self.signal, &mut self.scratch)
            .expect("buffer lengths match the plan");
        &self.signal
    }
}

/// Spectra of every `(N, C_in)` input row, each placed after `pad_left` zeros.
fn input_spectra<T: Element>(geo: &Geometry, x: &[T], fft: &mut Transforms<T>) -> Vec<Complex<T>> {
    let bins = fft.bins();
    let mut spectra = vec![Complex::default(); geo.batch * geo.in_channels * bins];
    for (row, spectrum) in spectra.chunks_mut(bins).enumerate() {
        let signal = &x[row * geo.length..(row + 1) * geo.length];
        fft.forward_into(spectrum, |buffer| {
            buffer[geo.pad_left..geo.pad_left + geo.length].copy_from_slice(signal)
        });
    }
    spectra
}

/// Spectra of every `(C_out, C_in/groups)` kernel, dilated.
fn kernel_spectra<T: Element>(geo: &Geometry, w: &[T], fft: &mut Transforms<T>) -> Vec<Complex<T>> {
    let bins = fft.bins();
    let mut spectra = vec![Complex::default(); geo.out_channels * geo.group_in * bins];
    for (row, spectrum) in spectra.chunks_mut(bins).enumerate() {
        let taps = &w[row * geo.kernel..(row + 1) * geo.kernel];
        fft.forward_into(spectrum, |buffer| {
            for (k, &tap) in taps.iter().enumerate() {
                buffer[k * geo.dilation] = tap;
            }
        });
    }
    spectra
}

/// Spectra of every `(N, C_out)` output-gradient row, upsampled by the stride.
fn gradient_spectra<T: Element>(geo: &Geometry, grad: &[T], fft: &mut Transforms<T>) -> Vec<Complex<T>> {
    let bins = fft.bins();
    let mut spectra = vec![Complex::default(); geo.batch * geo.out_channels * bins];
    for (row, spectrum) in spectra.chunks_mut(bins).enumerate() {
        let values = &grad[row * geo.out_length..(row + 1) * geo.out_length];
        fft.forward_into(spectrum, |buffer| {
            for (t, &value) in values.iter().enumerate() {
                buffer[t * geo.stride] = value;
            }
        });
    }
    spectra
}

/// Forward pass, with the same contract as the direct path's.
pub(crate) fn forward<T: Element>(geo: &Geometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    let mut fft = Transforms::new(fast_length(geo.padded_length()));
    let bins = fft.bins();
    let scale = T::one() / T::from_usize(fft.len).expect("length fits the float type");
    let xs = input_spectra(geo, x, &mut fft);
    let ws = kernel_spectra(geo, w, &mut fft);

    let mut y = vec![T::zero(); geo.batch * geo.out_channels * geo.out_length];
    let mut acc: Vec<Complex<T>> = vec![Complex::default(); bins];
    for n in 0..geo.batch {
        for o in 0..geo.out_channels {
            let group = o / geo.group_out;
            acc.fill(Complex::default());
            for ci in 0..geo.group_in {
                let x_row = &xs[(n * geo.in_channels + group * geo.group_in + ci) * bins..][..bins];
                let w_row = &ws[(o * geo.group_in + ci) * bins..][..bins];
                for ((a, &xv), &wv) in acc.iter_mut().zip(x_row).zip(w_row) {
                    *a += xv * wv.conj();
                }
            }
            let dense = fft.inverse(&mut acc);
            let out = &mut y[(n * geo.out_channels + o) * geo.out_length..][..geo.out_length];
            for (t, value) in out.iter_mut().enumerate() {
                *value = dense[t * geo.stride] * scale;
            }
        }
    }
    if let Some(bias) = bias {
        super::direct::add_bias(geo, bias, &mut y);
    }
    y
}

/// Input and weight gradients, each computed only when asked for; the
/// gradient spectra are shared between the two.
pub(crate) fn backward<T: Element>(
    geo: &Geometry,
    grad: &[T],
    x: &[T],
    w: &[T],
    need_input: bool,
    need_weight: bool,
) -> (Option<Vec<T>>, Option<Vec<T>>) {
    let mut fft = Transforms::new(fast_length(geo.padded_length()));
    let bins = fft.bins();
    let scale = T::one() / T::from_usize(fft.len).expect("length fits the float type");
    let gs = gradient_spectra(geo, grad, &mut fft);
    let mut acc: Vec<Complex<T>> = vec![Complex::default(); bins];

    let grad_input = need_input.then(|| {
        let ws = kernel_spectra(geo, w, &mut fft);
        let mut gx = vec![T::zero(); geo.batch * geo.in_channels * geo.length];
        for n in 0..geo.batch {
            for c in 0..geo.in_channels {
                let (group, ci) = (c / geo.group_in, c % geo.group_in);
                acc.fill(Complex::default());
                for o in group * geo.group_out..(group + 1) * geo.group_out {
                    let g_row = &gs[(n * geo.out_channels + o) * bins..][..bins];
                    let w_row = &ws[(o * geo.group_in + ci) * bins..][..bins];
                    for ((a, &gv), &wv) in acc.iter_mut().zip(g_row).zip(w_row) {
                        *a += gv * wv;
                    }
                }
                let dense = fft.inverse(&mut acc);
                let out = &mut gx[(n * geo.in_channels + c) * geo.length..][..geo.length];
                for (i, value) in out.iter_mut().enumerate() {
                    *value = dense[geo.pad_left + i] * scale;
                }
            }
        }
        gx
    });

    let grad_weight = need_weight.then(|| {
        let xs = input_spectra(geo, x, &mut fft);
        let mut gw = vec![T::zero(); geo.out_channels * geo.group_in * geo.kernel];
        for o in 0..geo.out_channels {
            let group = o / geo.group_out;
            for ci in 0..geo.group_in {
                acc.fill(Complex::default());
                for n in 0..geo.batch {
                    let g_row = &gs[(n * geo.out_channels + o) * bins..][..bins];
                    let x_row = &xs[(n * geo.in_channels + group * geo.group_in + ci) * bins..][..bins];
                    for ((a, &gv), &xv) in acc.iter_mut().zip(g_row).zip(x_row) {
                        *a += gv.conj() * xv;
                    }
                }
                let dense = fft.inverse(&mut acc);
                let taps = &mut gw[(o * geo.group_in + ci) * geo.kernel..][..geo.kernel];
                for (k, value) in taps.iter_mut().enumerate() {
                    *value = dense[k * geo.dilation] * scale;
                }
            }
        }
        gw
    });
    (grad_input, grad_weight)
}
