import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";

/** Window attributes of a Conv/Pool node for its spatial dims, with auto_pad resolved to explicit pads. */
export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** ONNX order: begin of each spatial dim, then end of each. */
  pads: number[];
}

/** Largest stride, dilation or pad Polychip accepts: larger ones only come from corrupt models. */
const MAX_WINDOW_PARAM = 1 << 16;

export function windowAttrs(ctx: ImportContext, node: OnnxNode, spatial: readonly (number | string)[], kernel: number[]): WindowAttrs {
  const n = spatial.length;
  const strides = node.attrs.ints("strides", new Array<number>(n).fill(1));
  const dilations = node.attrs.ints("dilations", new Array<number>(n).fill(1));
  if (strides.length !== n || dilations.length !== n || kernel.length !== n) {
    throw new ShapeError(
      `${ctx.where()}: kernel, strides and dilations must have ${n} entries (kernel [${kernel}], strides [${strides}], dilations [${dilations}])`,
    );
  }
  if ([...strides, ...dilations, ...kernel].some((v) => !Number.isInteger(v) || v < 1))
    throw new ShapeError(`${ctx.where()}: kernel, strides and dilations must be positive`);
  const autoPad = node.attrs.string("auto_pad", "NOTSET");
  let pads: number[];
  if (autoPad === "NOTSET") pads = node.attrs.ints("pads", new Array<number>(2 * n).fill(0));
  else if (autoPad === "VALID") pads = new Array<number>(2 * n).fill(0);
  else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    pads = new Array<number>(2 * n).fill(0);
    spatial.forEach((size, i) => {
      if (typeof size !== "number") throw new UnsupportedOpError(`${ctx.where()}: auto_pad ${autoPad} needs static spatial dims, got [${spatial.join(", ")}]`);
      const out = Math.ceil(size / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - size);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[i + n] = total - pads[i]!;
    });
  } else throw new UnsupportedOpError(`${ctx.where()}: unknown auto_pad '${autoPad}'`);
  if (pads.length !== 2 * n || pads.some((p) => !Number.isInteger(p) || p < 0))
    throw new ShapeError(`${ctx.where()}: pads [${pads}] must be ${2 * n} non-negative integers`);
  if ([...strides, ...dilations, ...pads].some((v) => v > MAX_WINDOW_PARAM))
    throw new ShapeError(`${ctx.where()}: strides, dilations and pads must be at most ${MAX_WINDOW_PARAM}`);
  spatial.forEach((size, i) => {
    // Each window is scanned tap by tap: a window far wider than the input is a corrupt model, not a network.
    const span = (kernel[i]! - 1) * dilations[i]! + 1;
    if (typeof size === "number" && span > 2 * size + pads[i]! + pads[i + n]! + 64) {
      throw new ShapeError(`${ctx.where()}: a window spanning ${span} is far wider than spatial dim ${i} of size ${size}`);
    }
  });
  return { kernel, strides, dilations, pads };
}

/** The HAL's 2-D window attrs for one pair of spatial dims (i, j) of an ONNX window. */
export function window2dAttrs(w: WindowAttrs, i: number, j: number) {
  const n = w.kernel.length;
  return {
    kernel: [w.kernel[i]!, w.kernel[j]!],
    strides: [w.strides[i]!, w.strides[j]!],
    dilations: [w.dilations[i]!, w.dilations[j]!],
    pads: [w.pads[i]!, w.pads[j]!, w.pads[i + n]!, w.pads[j + n]!],
  };
}

/** A 1-D window seen as 2-D over [1, L]. */
export function as2d(w: WindowAttrs): WindowAttrs {
  if (w.kernel.length !== 1) return w;
  return { kernel: [1, w.kernel[0]!], strides: [1, w.strides[0]!], dilations: [1, w.dilations[0]!], pads: [0, w.pads[0]!, 0, w.pads[1]!] };
}
