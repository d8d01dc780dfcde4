//! The direct path for few channels or long kernels: each (batch item,
//! output channel, input channel) triple is one sliding dot product, with
//! no im2col buffer.
//!
//! The passes reduce to one primitive, [`sliding_dot`]:
//! `out[u] += Σ_v taps[v] · src[u·out_step + v·tap_step]`.
//!
//! - forward: out = y[n, o, ·], taps = w[o, c, ·], src = the padded input
//!   row, steps (stride, dilation);
//! - input gradient: the output gradient, upsampled by the stride and
//!   preceded by dilation·(K - 1) zeros, slid against the reversed kernel
//!   with steps (1, dilation), gives the gradient of the padded input row;
//! - weight gradient: out = dw[o, c, ·], taps = dy[n, o, ·], src = the padded
//!   input row, steps (dilation, stride).

use super::geometry::Geometry;
use crate::element::Element;

pub(crate) fn forward<T: Element>(geo: &Geometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    let mut y = vec![T::zero(); geo.batch * geo.out_channels * geo.out_length];
    for_each_channel_pair(geo, x, |n, o, ci, padded| {
        let out = &mut y[(n * geo.out_channels + o) * geo.out_length..][..geo.out_length];
        let taps = &w[(o * geo.group_in + ci) * geo.kernel..][..geo.kernel];
        sliding_dot(out, taps, padded, geo.stride, geo.dilation);
    });
    if let Some(bias) = bias {
        super::direct::add_bias(geo, bias, &mut y);
    }
    y
}

pub(crate) fn grad_input<T: Element>(geo: &Geometry, grad: &[T], w: &[T]) -> Vec<T> {
    let lead = geo.dilation * (geo.kernel - 1);
    let source_length = geo.padded_length() + lead;
    let mut gx = vec![T::zero(); geo.batch * geo.in_channels * geo.length];
    let mut upsampled = vec![T::zero(); geo.out_channels * source_length];
    let mut reversed = vec![T::zero(); geo.kernel];
    let mut padded_grad = vec![T::zero(); geo.padded_length()];
    for n in 0..geo.batch {
        // Every output-gradient row of this batch item, upsampled and led by zeros.
        for (o, row) in upsampled.chunks_mut(source_length).enumerate() {
            let values = &grad[(n * geo.out_channels + o) * geo.out_length..][..geo.out_length];
            for (t, &value) in values.iter().enumerate() {
                row[lead + t * geo.stride] = value;
            }
        }
        for c in 0..geo.in_channels {
            let (group, ci) = (c / geo.group_in, c % geo.group_in);
            padded_grad.fill(T::zero());
            for o in group * geo.group_out..(group + 1) * geo.group_out {
                let taps = &w[(o * geo.group_in + ci) * geo.kernel..][..geo.kernel];
                reversed.iter_mut().zip(taps.iter().rev()).for_each(|(r, &t)| *r = t);
                sliding_dot(
                    &mut padded_grad,
                    &reversed,
                    &upsampled[o * source_length..][..source_length],
                    1,
                    geo.dilation,
                );
            }
            gx[(n * geo.in_channels + c) * geo.length..][..geo.length]
                .copy_from_slice(&padded_grad[geo.pad_left..geo.pad_left + geo.length]);
        }
    }
    gx
}

pub(crate) fn grad_weight<T: Element>(geo: &Geometry, grad: &[T], x: &[T]) -> Vec<T> {
    let mut gw = vec![T::zero(); geo.out_channels * geo.group_in * geo.kernel];
    for_each_channel_pair(geo, x, |n, o, ci, padded| {
        let out = &mut gw[(o * geo.group_in + ci) * geo.kernel..][..geo.kernel];
        let taps = &grad[(n * geo.out_channels + o) * geo.out_length..][..geo.out_length];
        sliding_dot(out, taps, padded, geo.dilation, geo.stride);
    });
    gw
}

/// Calls `f(n, o, ci, padded_row)` for every batch item n, output channel o
/// and input channel ci of o's group, with the zero-padded input row of
/// (n, that input channel).
fn for_each_channel_pair<T: Element>(geo: &Geometry, x: &[T], mut f: impl FnMut(usize, usize, usize, &[T])) {
    let mut padded = vec![T::zero(); geo.padded_length()];
    for n in 0..geo.batch {
        for c in 0..geo.in_channels {
            let (group, ci) = (c / geo.group_in, c % geo.group_in);
            padded[geo.pad_left..geo.pad_left + geo.length]
                .copy_from_slice(&x[(n * geo.in_channels + c) * geo.length..][..geo.length]);
            for o in group * geo.group_out..(group + 1) * geo.group_out {
                f(n, o, ci, &padded);
            }
        }
    }
}

/// `out[u] += Σ_v taps[v] · src[u·out_step + v·tap_step]` for every u.
///
/// `src` must reach `(out.len() - 1)·out_step + (taps.len() - 1)·tap_step`.
/// On x86-64 with AVX2 and FMA (detected at run time) the loops are compiled
/// for those instructions.
pub(crate) fn sliding_dot<T: Element>(out: &mut [T], taps: &[T], src: &[T], out_step: usize, tap_step: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor supports the features the function is compiled for.
            return unsafe { sliding_dot_avx2_fma(out, taps, src, out_step, tap_step) };
        }
    }
    sliding_dot_generic::<T, false, 16>(out, taps, src, out_step, tap_step);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sliding_dot_avx2_fma<T: Element>(out: &mut [T], taps: &[T], src: &[T], out_step: usize, tap_step: usize) {
    // Eight 256-bit accumulators, as in the signal convolution kernel.
    if std::mem::size_of::<T>() == 8 {
        sliding_dot_generic::<T, true, 32>(out, taps, src, out_step, tap_step);
    } else {
        sliding_dot_generic::<T, true, 64>(out, taps, src, out_step, tap_step);
    }
}

/// The contiguous case (`out_step == 1`) accumulates `BLOCK` outputs
/// together in registers; the rest are plain dot products.
#[inline(always)]
fn sliding_dot_generic<T: Element, const FUSED: bool, const BLOCK: usize>(
    out: &mut [T],
    taps: &[T],
    src: &[T],
    out_step: usize,
    tap_step: usize,
) {
    let multiply_add = |acc: T, tap: T, x: T| if FUSED { tap.mul_add(x, acc) } else { acc + tap * x };
    let full_blocks = if out_step == 1 { out.len() / BLOCK } else { 0 };
    for block in 0..full_blocks {
        let u0 = block * BLOCK;
        let mut acc: [T; BLOCK] = out[u0..u0 + BLOCK].try_into().expect("BLOCK values");
        for (v, &tap) in taps.iter().enumerate() {
            let window: &[T; BLOCK] = src[u0 + v * tap_step..][..BLOCK].try_into().expect("BLOCK values");
            for (slot, &x) in acc.iter_mut().zip(window) {
                *slot = multiply_add(*slot, tap, x);
            }
        }
        out[u0..u0 + BLOCK].copy_from_slice(&acc);
    }
    for (u, slot) in out.iter_mut().enumerate().skip(full_blocks * BLOCK) {
        let base = u * out_step;
        let mut acc = *slot;
        for (v, &tap) in taps.iter().enumerate() {
            acc = multiply_add(acc, tap, src[base + v * tap_step]);
        }
        *slot = acc;
    }
}
