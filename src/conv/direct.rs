//! The direct path: im2col followed by one matrix product per group.
//!
//! For group g, the weight is viewed as a `(C_out/groups, C_in/groups · K)`
//! matrix W and the input positions as columns: column (n, t) of the
//! "im2col" matrix lists every input value that output step t of batch item
//! n reads, `x[n, c, t·stride + k·dilation - pad_left]` for each channel c
//! of the group and tap k (zero where that falls into padding). Then
//!
//! - forward: Y = W · cols
//! - input gradient: dcols = Wᵀ · dY, scattered back onto the input
//! - weight gradient: dW = dY · colsᵀ
//!
//! Columns are processed in chunks so the im2col buffer stays below
//! [`COLUMN_BUDGET`] elements whatever the signal length.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use super::geometry::Geometry;
use crate::element::Element;

/// The largest im2col buffer, in elements, that one chunk may use.
const COLUMN_BUDGET: usize = 1 << 20;

/// Forward pass: `(N, C_in, L)` input and `(C_out, C_in/groups, K)` weight
/// give the `(N, C_out, L_out)` output, all row-major.
pub(crate) fn forward<T: Element>(geo: &Geometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    if geo.uses_sliding() {
        return super::sliding::forward(geo, x, w, bias);
    }
    let rows = geo.group_in * geo.kernel;
    let mut y = vec![T::zero(); geo.batch * geo.out_channels * geo.out_length];
    for_each_chunk(geo, |start, cols, col, out| {
        for group in 0..geo.groups {
            im2col(geo, x, group, start, cols, col);
            let w_g = weight_matrix(geo, w, group);
            let col_view = ArrayView2::from_shape((rows, cols), &col[..rows * cols]).expect("chunk shape");
            let mut out_view = ArrayViewMut2::from_shape((geo.group_out, cols), &mut out[..geo.group_out * cols])
                .expect("chunk shape");
            general_mat_mul(T::one(), &w_g, &col_view, T::zero(), &mut out_view);
            scatter_output(geo, group, start, cols, &out[..geo.group_out * cols], &mut y);
        }
    });
    if let Some(bias) = bias {
        add_bias(geo, bias, &mut y);
    }
    y
}

/// Gradient with respect to the input, given the output gradient `grad`.
pub(crate) fn grad_input<T: Element>(geo: &Geometry, grad: &[T], w: &[T]) -> Vec<T> {
    if geo.uses_sliding() {
        return super::sliding::grad_input(geo, grad, w);
    }
    let rows = geo.group_in * geo.kernel;
    let mut gx = vec![T::zero(); geo.batch * geo.in_channels * geo.length];
    for_each_chunk(geo, |start, cols, col, out| {
        for group in 0..geo.groups {
            gather_output(geo, group, start, cols, grad, &mut out[..geo.group_out * cols]);
            let w_g = weight_matrix(geo, w, group);
            let g_view =
                ArrayView2::from_shape((geo.group_out, cols), &out[..geo.group_out * cols]).expect("chunk shape");
            let mut col_view = ArrayViewMut2::from_shape((rows, cols), &mut col[..rows * cols]).expect("chunk shape");
            general_mat_mul(T::one(), &w_g.t(), &g_view, T::zero(), &mut col_view);
            col2im_add(geo, group, start, cols, &col[..rows * cols], &mut gx);
        }
    });
    gx
}

/// Gradient with respect to the weight, given the output gradient `grad`.
pub(crate) fn grad_weight<T: Element>(geo: &Geometry, grad: &[T], x: &[T]) -> Vec<T> {
    if geo.uses_sliding() {
        return super::sliding::grad_weight(geo, grad, x);
    }
    let rows = geo.group_in * geo.kernel;
    let mut gw = vec![T::zero(); geo.out_channels * rows];
    for_each_chunk(geo, |start, cols, col, out| {
        for group in 0..geo.groups {
            im2col(geo, x, group, start, cols, col);
            gather_output(geo, group, start, cols, grad, &mut out[..geo.group_out * cols]);
            let col_view = ArrayView2::from_shape((rows, cols), &col[..rows * cols]).expect("chunk shape");
            let g_view =
                ArrayView2::from_shape((geo.group_out, cols), &out[..geo.group_out * cols]).expect("chunk shape");
            let block = &mut gw[group * geo.group_out * rows..(group + 1) * geo.group_out * rows];
            let mut gw_view = ArrayViewMut2::from_shape((geo.group_out, rows), block).expect("group block");
            general_mat_mul(T::one(), &g_view, &col_view.t(), T::one(), &mut gw_view);
        }
    });
    gw
}

/// Gradient with respect to the bias: the output gradient summed over batch
/// and length, per output channel.
pub(crate) fn grad_bias<T: Element>(geo: &Geometry, grad: &[T]) -> Vec<T> {
    let mut gb = vec![T::zero(); geo.out_channels];
    for (row, values) in grad.chunks(geo.out_length.max(1)).enumerate() {
        gb[row % geo.out_channels] += values.iter().copied().sum::<T>();
    }
    gb
}

pub(crate) fn add_bias<T: Element>(geo: &Geometry, bias: &[T], y: &mut [T]) {
    for (row, values) in y.chunks_mut(geo.out_length.max(1)).enumerate() {
        let b = bias[row % geo.out_channels];
        values.iter_mut().for_each(|v| *v += b);
    }
}

/// Calls `f(start, cols, col_buffer, out_buffer)` for consecutive chunks of
/// the `N · L_out` output columns, with buffers sized for the largest chunk.
fn for_each_chunk<T: Element>(geo: &Geometry, mut f: impl FnMut(usize, usize, &mut [T], &mut [T])) {
    let rows = geo.group_in * geo.kernel;
    let total = geo.batch * geo.out_length;
    if total == 0 {
        return;
    }
    let chunk = (COLUMN_BUDGET / rows.max(geo.group_out)).clamp(1, total);
    let mut col = vec![T::zero(); rows * chunk];
    let mut out = vec![T::zero(); geo.group_out * chunk];
    let mut start = 0;
    while start < total {
        let cols = chunk.min(total - start);
        f(start, cols, &mut col, &mut out);
        start += cols;
    }
}

/// Weight rows of one group as a `(C_out/groups, C_in/groups · K)` matrix.
fn weight_matrix<'a, T: Element>(geo: &Geometry, w: &'a [T], group: usize) -> ArrayView2<'a, T> {
    let rows = geo.group_in * geo.kernel;
    let block = &w[group * geo.group_out * rows..(group + 1) * geo.group_out * rows];
    ArrayView2::from_shape((geo.group_out, rows), block).expect("group block")
}

/// Calls `f(j, n, t, len)` for each run of columns `start..start + cols`
/// that share a batch item: columns `j..j + len` are output steps
/// `t..t + len` of batch item `n`.
fn for_each_run(geo: &Geometry, start: usize, cols: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
    let mut j = 0;
    while j < cols {
        let position = start + j;
        let (n, t) = (position / geo.out_length, position % geo.out_length);
        let len = (geo.out_length - t).min(cols - j);
        f(j, n, t, len);
        j += len;
    }
}

/// Fills the `(C_in/groups · K, cols)` im2col block of one group.
fn im2col<T: Element>(geo: &Geometry, x: &[T], group: usize, start: usize, cols: usize, col: &mut [T]) {
    for ci in 0..geo.group_in {
        let channel = group * geo.group_in + ci;
        for k in 0..geo.kernel {
            let row = &mut col[(ci * geo.kernel + k) * cols..(ci * geo.kernel + k + 1) * cols];
            for_each_run(geo, start, cols, |j, n, t, len| {
                let signal = &x[(n * geo.in_channels + channel) * geo.length..][..geo.length];
                let target = &mut row[j..j + len];
                if geo.stride == 1 {
                    // Padded positions t + k·d .. + len: copy the part inside the signal.
                    let first = t + k * geo.dilation;
                    let inside_start = geo.pad_left.clamp(first, first + len);
                    let inside_end = (geo.pad_left + geo.length).clamp(first, first + len);
                    if inside_start < inside_end {
                        target[..inside_start - first].fill(T::zero());
                        target[inside_start - first..inside_end - first]
                            .copy_from_slice(&signal[inside_start - geo.pad_left..inside_end - geo.pad_left]);
                        target[inside_end - first..].fill(T::zero());
                    } else {
                        target.fill(T::zero());
                    }
                } else {
                    for (offset, value) in target.iter_mut().enumerate() {
                        *value = match geo.input_index(t + offset, k) {
                            Some(i) => signal[i],
                            None => T::zero(),
                        };
                    }
                }
            });
        }
    }
}

/// Adds a `(C_in/groups · K, cols)` block of column gradients back onto the
/// input positions they came from.
fn col2im_add<T: Element>(geo: &Geometry, group: usize, start: usize, cols: usize, col: &[T], gx: &mut [T]) {
    for ci in 0..geo.group_in {
        let channel = group * geo.group_in + ci;
        for k in 0..geo.kernel {
            let row = &col[(ci * geo.kernel + k) * cols..(ci * geo.kernel + k + 1) * cols];
            for_each_run(geo, start, cols, |j, n, t, len| {
                let signal = &mut gx[(n * geo.in_channels + channel) * geo.length..][..geo.length];
                for (offset, &value) in row[j..j + len].iter().enumerate() {
                    if let Some(i) = geo.input_index(t + offset, k) {
                        signal[i] += value;
                    }
                }
            });
        }
    }
}

/// Copies a `(C_out/groups, cols)` result block into the output.
fn scatter_output<T: Element>(geo: &Geometry, group: usize, start: usize, cols: usize, block: &[T], y: &mut [T]) {
    for o in 0..geo.group_out {
        let channel = group * geo.group_out + o;
        for_each_run(geo, start, cols, |j, n, t, len| {
            let target = (n * geo.out_channels + channel) * geo.out_length + t;
            y[target..target + len].copy_from_slice(&block[o * cols + j..o * cols + j + len]);
        });
    }
}

/// Copies the output-gradient columns of one group into a
/// `(C_out/groups, cols)` block.
fn gather_output<T: Element>(geo: &Geometry, group: usize, start: usize, cols: usize, grad: &[T], block: &mut [T]) {
    for o in 0..geo.group_out {
        let channel = group * geo.group_out + o;
        for_each_run(geo, start, cols, |j, n, t, len| {
            let source = (n * geo.out_channels + channel) * geo.out_length + t;
            block[o * cols + j..o * cols + j + len].copy_from_slice(&grad[source..source + len]);
        });
    }
}
