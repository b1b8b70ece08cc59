import { ShapeError } from "@polychip/hal";
import { transformAlong, type DftKind } from "./dft-matrix.ts";
import { castTo, input, optionalInput, output, requireFloatInput, type OpImporter } from "./helpers.ts";

/**
 * DFT (opsets 17 and 20) as one matmul by a cos/sin matrix built at import for the static length
 * (`dft-matrix.ts`): forward or inverse, one-sided (rfft, or numpy's irfft when inverse), real or
 * complex input, dft_length truncating or zero-padding. Opset 17 reads the axis from an attribute
 * (default 1), opset 20 from an optional input (default -2); both count the trailing parts dim.
 */
const dft: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const shape = ctx.shape(x, "DFT");
  const rank = shape.length;
  const parts = shape[rank - 1];
  if (rank < 2 || (parts !== 1 && parts !== 2))
    throw new ShapeError(`${ctx.where()}: input must be [..., signal, 1 or 2] (real, or real and imaginary), got [${shape.join(", ")}]`);
  const axisInput = node.opset >= 20 ? optionalInput(node, 2) : undefined;
  const rawAxis = node.opset >= 20 ? (axisInput ? ctx.ints(axisInput, "DFT's axis")[0]! : -2) : node.attrs.int("axis", 1)!;
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
  if (!Number.isInteger(axis) || axis < 0 || axis > rank - 2)
    throw new ShapeError(`${ctx.where()}: axis ${rawAxis} is out of range for input [${shape.join(", ")}] (the last dim holds the parts)`);
  const inverse = node.attrs.int("inverse", 0) === 1;
  const onesided = node.attrs.int("onesided", 0) === 1;
  const n = shape[axis]!;
  const lengthInput = optionalInput(node, 1);
  const length = lengthInput ? ctx.ints(lengthInput, "DFT's dft_length")[0]! : inverse && onesided ? 2 * (n - 1) : n;
  if (!Number.isInteger(length) || length < 1) throw new ShapeError(`${ctx.where()}: dft_length must be a positive integer, got ${length}`);
  const kind: DftKind = inverse ? (onesided ? "inverseReal" : "inverse") : "forward";
  const outBins = kind === "forward" && onesided ? Math.floor(length / 2) + 1 : length;
  ctx.bind(output(node), transformAlong(ctx, x, axis, { kind, length, outBins, outParts: kind === "inverseReal" ? 1 : 2 }));
};

/**
 * STFT (opset 17): frames gathered along the signal axis (frame_step apart), multiplied by the
 * window, then a forward DFT of frame_length per frame (one-sided by default).
 */
const stft: OpImporter = (ctx, node) => {
  const signal = input(ctx, node, 0);
  requireFloatInput(ctx, signal);
  const shape = ctx.shape(signal, "STFT");
  if (shape.length !== 3 || (shape[2] !== 1 && shape[2] !== 2))
    throw new ShapeError(`${ctx.where()}: signal must be [batch, length, 1 or 2], got [${shape.join(", ")}]`);
  const [batch, n, parts] = shape as [number, number, number];
  const step = ctx.ints(input(ctx, node, 1), "STFT's frame_step")[0]!;
  const window = optionalInput(node, 2);
  const lengthInput = optionalInput(node, 3);
  const windowShape = window ? ctx.shape(window, "STFT's window") : undefined;
  const frameLength = lengthInput ? ctx.ints(lengthInput, "STFT's frame_length")[0]! : (windowShape?.[0] ?? n);
  if (windowShape && (windowShape.length !== 1 || windowShape[0] !== frameLength))
    throw new ShapeError(`${ctx.where()}: window must be [${frameLength}] (the frame length), got [${windowShape.join(", ")}]`);
  if (!Number.isInteger(step) || step < 1) throw new ShapeError(`${ctx.where()}: frame_step must be a positive integer, got ${step}`);
  if (!Number.isInteger(frameLength) || frameLength < 1 || frameLength > n)
    throw new ShapeError(`${ctx.where()}: frame_length ${frameLength} must be in [1, ${n}] (the signal's length)`);
  const frames = 1 + Math.floor((n - frameLength) / step);
  const positions = new Int32Array(frames * frameLength);
  for (let f = 0; f < frames; f++) for (let j = 0; j < frameLength; j++) positions[f * frameLength + j] = f * step + j;
  const gathered = ctx.op("gather", [signal, ctx.const(positions, [positions.length], "int32")], { axis: 1 });
  let framed = ctx.op("reshape", [gathered], { shape: [batch, frames, frameLength, parts] });
  if (window) framed = ctx.op("mul", [framed, ctx.op("reshape", [castTo(ctx, window, ctx.dtype(signal))], { shape: [1, 1, frameLength, 1] })]);
  const onesided = node.attrs.int("onesided", 1) === 1;
  const outBins = onesided ? Math.floor(frameLength / 2) + 1 : frameLength;
  ctx.bind(output(node), transformAlong(ctx, framed, 2, { kind: "forward", length: frameLength, outBins, outParts: 2 }));
};

export const SIGNAL_IMPORTERS: Readonly<Record<string, OpImporter>> = { DFT: dft, STFT: stft };
