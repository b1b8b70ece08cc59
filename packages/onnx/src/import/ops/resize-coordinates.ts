/**
 * Resize's coordinate transformation: the input position an output index samples, in float32
 * arithmetic step by step as onnxruntime evaluates it (a double where its C++ mixes in a double
 * literal), so that the taps and weights built from it equal onnxruntime's bit for bit.
 *
 * Where onnxruntime departs from the ONNX specification the specification wins: align_corners and
 * tf_crop_and_resize divide by `scale · length − 1`, not by `output length − 1`, when the two
 * differ (scales whose product is not the output size; onnxruntime fails ONNX's
 * resize_downsample_scales_linear_align_corners test there), and tf_crop_and_resize applies its
 * roi even where the scale is 1.
 */

export interface AxisResize {
  readonly inputSize: number;
  readonly outputSize: number;
  /** The scale of this axis (output/input, or the given scale). */
  readonly scale: number;
  /** [start, end] of the region of interest (tf_crop_and_resize). */
  readonly roi: readonly [number, number];
}

const f = Math.fround;

/** The output width the specification divides by: the output size when scale · length rounds to it in float32. */
function outputWidth(axis: AxisResize): number {
  const exact = axis.scale * axis.inputSize;
  return f(exact) === axis.outputSize ? axis.outputSize : exact;
}

/** Input position (float32) of output index `x` along `axis`, before any clamping. */
export function sourceCoordinate(x: number, axis: AxisResize, mode: string): number {
  const { inputSize: length, outputSize: resized } = axis;
  const scale = f(axis.scale);
  // onnxruntime skips the transformation of an axis whose scale is 1 (every mode but the roi's gives x there anyway).
  if (scale === 1 && mode !== "tf_crop_and_resize") return x;
  switch (mode) {
    case "half_pixel":
      return f(f(f(x + 0.5) / scale) - 0.5);
    case "pytorch_half_pixel":
      return resized > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case "tf_half_pixel_for_nn":
      return f(f(x + 0.5) / scale);
    case "asymmetric":
      return f(x / scale);
    case "align_corners": {
      const width = outputWidth(axis);
      return width === 1 ? 0 : f(f(x * (length - 1)) / f(width - 1));
    }
    case "tf_crop_and_resize": {
      const [start, end] = axis.roi.map(f) as [number, number];
      const width = outputWidth(axis);
      if (width === 1) return f(0.5 * f(start + end) * (length - 1));
      return f(f(start * (length - 1)) + f(f(f(x * f(end - start)) * (length - 1)) / f(width - 1)));
    }
    case "half_pixel_symmetric": {
      const adjustment = f(resized / f(scale * length));
      const offset = f(f(length / 2) * f(1 - adjustment));
      return f(offset + (x + 0.5) / scale - 0.5);
    }
    default:
      throw new Error(`unknown coordinate_transformation_mode '${mode}'`);
  }
}
