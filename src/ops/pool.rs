//! Max pooling over the last dimension.

use ndarray::{ArrayD, IxDyn};

use crate::element::Element;
use crate::tensor::Tensor;

/// Options of [`max_pool1d`], named and defaulted as
/// `torch.nn.functional.max_pool1d`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaxPool1dOptions {
    /// Step between windows. Default: `None`, meaning the kernel size.
    pub stride: Option<usize>,
    /// Implicit `-inf` padding on both sides; at most half the kernel size.
    /// Default: 0.
    pub padding: usize,
    /// Spacing between the elements of a window. Default: 1.
    pub dilation: usize,
    /// Round the output length up instead of down, keeping a last partial
    /// window unless it would start inside the right padding. Default: false.
    pub ceil_mode: bool,
}

impl Default for MaxPool1dOptions {
    fn default() -> Self {
        MaxPool1dOptions {
            stride: None,
            padding: 0,
            dilation: 1,
            ceil_mode: false,
        }
    }
}

/// The resolved sizes of one pooling call.
#[derive(Clone, Copy, Debug)]
struct PoolGeometry {
    rows: usize,
    length: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    out_length: usize,
}

impl PoolGeometry {
    #[track_caller]
    fn new(shape: &[usize], kernel: usize, options: &MaxPool1dOptions) -> Self {
        let stride = options.stride.unwrap_or(kernel);
        let dilation = options.dilation;
        let describe = format!(
            "input {shape:?}, kernel_size {kernel}, stride {stride}, padding {}, dilation {dilation}, ceil_mode {}",
            options.padding, options.ceil_mode
        );
        let fail = |rule: &str| -> ! { crate::fail("max_pool1d", format!("{rule} ({describe})")) };
        let (rows, length) = match shape {
            &[c, l] => (c, l),
            &[n, c, l] => (n * c, l),
            _ => fail("input must be (N, C, L) or (C, L)"),
        };
        if length == 0 {
            fail("input length L must be positive");
        }
        if kernel == 0 {
            fail("kernel_size must be positive");
        }
        if stride == 0 {
            fail("stride must be positive");
        }
        if dilation == 0 {
            fail("dilation must be positive");
        }
        if options.padding > kernel / 2 {
            fail("padding must be at most half the kernel size");
        }
        // PyTorch's pooling_output_shape: ⌊(padded - span + (stride - 1 in
        // ceil mode)) / stride⌋ + 1, and in ceil mode one window fewer if the
        // last would start inside the right padding. A ceil-mode window may
        // reach past the padded input, and window_max skips the taps there.
        let span = dilation * (kernel - 1) + 1;
        let padded = length + 2 * options.padding;
        let rounding = if options.ceil_mode { stride - 1 } else { 0 };
        if padded + rounding < span {
            fail("the dilated window is longer than the padded input, so there is no output");
        }
        let mut out_length = (padded + rounding - span) / stride + 1;
        if options.ceil_mode && (out_length - 1) * stride >= length + options.padding {
            out_length -= 1;
        }
        PoolGeometry {
            rows,
            length,
            kernel,
            stride,
            padding: options.padding,
            dilation,
            out_length,
        }
    }
}

/// `torch.nn.functional.max_pool1d`: the maximum of each window along the
/// last dimension. Padding counts as `-inf`. When several elements tie for
/// the maximum, the first of them is the argmax, and NaN counts as larger
/// than any number, as in PyTorch.
///
/// The backward adds each output's gradient to its argmax, so overlapping
/// windows that share a winner accumulate.
///
/// # Shapes
/// - input: `(N, C, L)` or `(C, L)`
/// - output: `(N, C, L_out)` or `(C, L_out)`, with
///   `L_out = ⌊(L + 2·padding - dilation·(kernel_size - 1) - 1) / stride⌋ + 1`
///   (rounded up with `ceil_mode`)
///
/// ```
/// use convgrad::ops::{max_pool1d, MaxPool1dOptions};
/// use convgrad::Tensor;
///
/// let x = Tensor::<f64>::from_vec(vec![4.0, 13.0, 28.0, 27.0, 18.0], &[1, 5]);
/// let y = max_pool1d(&x, 2, MaxPool1dOptions { padding: 1, ..Default::default() });
/// assert_eq!(y.to_vec(), vec![4.0, 28.0, 27.0]);
/// ```
///
/// # Panics
/// If the input is not 2-D or 3-D or its length is 0, kernel_size, stride or
/// dilation is 0, or padding is more than half the kernel size. Also if the
/// dilated window is longer than the padded input (in ceil mode, longer by
/// the stride or more).
pub fn max_pool1d<T: Element>(input: &Tensor<T>, kernel_size: usize, options: MaxPool1dOptions) -> Tensor<T> {
    max_pool1d_with_indices(input, kernel_size, options).0
}

/// [`max_pool1d`], also returning the argmax of each output as an index into
/// the unpadded last dimension (`usize::MAX` for a window that is all
/// padding), as `return_indices=True` does.
///
/// # Panics
/// As [`max_pool1d`].
pub fn max_pool1d_with_indices<T: Element>(
    input: &Tensor<T>,
    kernel_size: usize,
    options: MaxPool1dOptions,
) -> (Tensor<T>, ArrayD<usize>) {
    let shape = input.shape();
    let geo = PoolGeometry::new(&shape, kernel_size, &options);
    let mut out_shape = shape.clone();
    *out_shape.last_mut().expect("checked rank") = geo.out_length;

    let (values, argmax) = {
        let x = input.data();
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("standard layout");
        let mut values = Vec::with_capacity(geo.rows * geo.out_length);
        let mut argmax = Vec::with_capacity(geo.rows * geo.out_length);
        for row in x.chunks(geo.length.max(1)).take(geo.rows) {
            for t in 0..geo.out_length {
                let (best, index) = window_max(&geo, row, t);
                values.push(best);
                argmax.push(index);
            }
        }
        (values, argmax)
    };
    let indices = ArrayD::from_shape_vec(IxDyn(&out_shape), argmax.clone()).expect("output size");
    let value = ArrayD::from_shape_vec(IxDyn(&out_shape), values).expect("output size");

    let output = Tensor::from_op(
        "max_pool1d",
        value,
        vec![input.clone()],
        Box::new(move |grad, _output, _inputs| {
            let grad = grad.as_standard_layout();
            let g = grad.as_slice().expect("standard layout");
            let mut gx = vec![T::zero(); geo.rows * geo.length];
            for (position, (&index, &gv)) in argmax.iter().zip(g).enumerate() {
                if index != usize::MAX {
                    gx[(position / geo.out_length) * geo.length + index] += gv;
                }
            }
            vec![Some(ArrayD::from_shape_vec(IxDyn(&shape), gx).expect("input size"))]
        }),
    );
    (output, indices)
}

/// The maximum of window `t` of one row and its index (`usize::MAX` when the
/// window holds only padding).
fn window_max<T: Element>(geo: &PoolGeometry, row: &[T], t: usize) -> (T, usize) {
    let mut best = T::neg_infinity();
    let mut best_index = usize::MAX;
    for k in 0..geo.kernel {
        let padded = t * geo.stride + k * geo.dilation;
        let Some(i) = padded.checked_sub(geo.padding).filter(|&i| i < geo.length) else {
            continue;
        };
        let v = row[i];
        let better = best_index == usize::MAX || v > best || (v.is_nan() && !best.is_nan());
        if better {
            best = v;
            best_index = i;
        }
    }
    (best, best_index)
}
