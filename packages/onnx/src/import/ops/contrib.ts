import { DTypeError, FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { geluOf } from "./activations.ts";
import { ATTENTION_IMPORTERS } from "./attention.ts";
import { bin, input, optionalInput, output, refuseUnknownAttributes, scalarLike, un, type OpImporter } from "./helpers.ts";
import { embedLayerNormalization } from "./embed-layer-norm.ts";
import { integerMatmulOf } from "./integer-matmul.ts";
import { matmulOf } from "./matmul.ts";
import { ORT_FUSED_IMPORTERS } from "./ort-fused.ts";
import { QUANTIZE_IMPORTERS } from "./quantize.ts";
import { ORT_CHANNELS_LAST_IMPORTERS } from "./ort-channels-last.ts";
import { ORT_QUANTIZED_MATMUL_IMPORTERS } from "./ort-quantized-matmul.ts";
import { QLINEAR_IMPORTERS } from "./qlinear-ops.ts";
import { rmsNormOf } from "./normalization.ts";

/**
 * onnxruntime's com.microsoft operators that browser-targeted exports carry, with onnxruntime's
 * documented semantics (github.com/microsoft/onnxruntime docs/ContribOperators.md), lowered onto
 * HAL ops like the default domain's.
 */

/** BiasGelu: erf-GELU of A + B. */
const biasGelu: OpImporter = (ctx, node) => {
  geluOf(ctx, bin(ctx, "add", input(ctx, node, 0), input(ctx, node, 1)), false, output(node));
};

/** FastGelu: tanh-approximated GELU of X (+ bias). */
const fastGelu: OpImporter = (ctx, node) => {
  const bias = optionalInput(node, 1);
  const x = bias ? bin(ctx, "add", input(ctx, node, 0), bias) : input(ctx, node, 0);
  geluOf(ctx, x, true, output(node));
};

/** QuickGelu: x · sigmoid(alpha · x), alpha 1.702 by default. */
const quickGelu: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const alpha = node.attrs.float("alpha", 1.702);
  bin(ctx, "mul", x, un(ctx, "sigmoid", bin(ctx, "mul", x, scalarLike(ctx, alpha, x))), output(node));
};

/**
 * SkipLayerNormalization: s = input + skip (+ bias); output = LayerNorm over the last dim of s
 * with gamma (and beta). Outputs 1 and 2 (mean, inverse std) are ONNX Runtime training details
 * and refused; output 3 is s itself.
 */
const skipLayerNormalization: OpImporter = (ctx, node) => {
  const bias = optionalInput(node, 4);
  let sum = bin(ctx, "add", input(ctx, node, 0), input(ctx, node, 1));
  if (bias) sum = bin(ctx, "add", sum, bias);
  if (output(node, 1) || output(node, 2)) throw new UnsupportedOpError(`${ctx.where()}: the mean and inv_std_var outputs are not supported`);
  const beta = optionalInput(node, 3);
  const epsilon = node.attrs.float("epsilon", 1e-12);
  ctx.op("layerNorm", beta ? [sum, input(ctx, node, 2), beta] : [sum, input(ctx, node, 2)], { axis: ctx.rank(sum) - 1, epsilon }, output(node));
  ctx.bind(output(node, 3), sum);
};

/**
 * SkipSimplifiedLayerNormalization (LLM exports): s = input + skip (+ bias); output = RMS norm of
 * s over the last dim times gamma. Outputs 1 and 2 (mean, inverse std) are refused like
 * SkipLayerNormalization's; output 3 is s itself.
 */
const skipSimplifiedLayerNormalization: OpImporter = (ctx, node) => {
  if (output(node, 1) || output(node, 2)) throw new UnsupportedOpError(`${ctx.where()}: the mean and inv_std_var outputs are not supported`);
  const bias = optionalInput(node, 3);
  let sum = bin(ctx, "add", input(ctx, node, 0), input(ctx, node, 1));
  if (bias) sum = bin(ctx, "add", sum, bias);
  rmsNormOf(ctx, sum, ctx.rank(sum) - 1, node.attrs.float("epsilon", 1e-12), input(ctx, node, 2), output(node));
  ctx.bind(output(node, 3), sum);
};

/**
 * MatMulNBits: A [.., K] times a block-quantised B [N, K] (transposed), B packed as
 * [N, blocks, blockSize·bits/8] bytes (low nibble first for 4 bits), per-block scales [N·blocks]
 * and optional zero points (packed like B, or floats; 2^(bits−1) by default). B is dequantised
 * at import, so it must be a constant (it always is: it is the weight).
 */
const matMulNBits: OpImporter = (ctx, node) => {
  const a = node.attrs;
  const [k, n, bits, blockSize] = [a.int("K"), a.int("N"), a.int("bits", 4), a.int("block_size")];
  if (k === undefined || n === undefined || blockSize === undefined) throw new FormatError(`${ctx.where()}: K, N and block_size are required`);
  if (bits !== 4 && bits !== 8 && bits !== 2) throw new UnsupportedOpError(`${ctx.where()}: ${bits}-bit weights are not supported (2, 4, 8)`);
  if (optionalInput(node, 4)) throw new UnsupportedOpError(`${ctx.where()}: g_idx (act-order) is not supported`);
  const packed = ctx.requireConstant(input(ctx, node, 1), "MatMulNBits' weight").data;
  const scales = ctx.requireConstant(input(ctx, node, 2), "MatMulNBits' scales").data;
  const zpName = optionalInput(node, 3);
  const zp = zpName ? ctx.requireConstant(zpName, "MatMulNBits' zero points") : undefined;
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  if (packed.length !== n * blocks * blob || scales.length !== n * blocks) {
    throw new ShapeError(
      `${ctx.where()}: B has ${packed.length} bytes and ${scales.length} scales, expected ${n * blocks * blob} and ${n * blocks} for N=${n}, K=${k}, block_size=${blockSize}`,
    );
  }
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const zpBytesPerRow = Math.ceil((blocks * bits) / 8);
  const zeroPoint = (row: number, block: number): number => {
    if (!zp) return 1 << (bits - 1);
    if (zp.dtype === "float32" || zp.dtype === "float16") return zp.data[row * blocks + block]!;
    const byte = zp.data[row * zpBytesPerRow + Math.floor(block / perByte)]!;
    return (byte >> ((block % perByte) * bits)) & mask;
  };
  // W is [K, N] so that A @ W is the product; rows of B are columns of W.
  const w = new Float32Array(k * n);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < k; col++) {
      const block = Math.floor(col / blockSize);
      const offset = (row * blocks + block) * blob;
      const within = col % blockSize;
      const byte = packed[offset + Math.floor(within / perByte)]!;
      const q = (byte >> ((within % perByte) * bits)) & mask;
      w[col * n + row] = (q - zeroPoint(row, block)) * scales[row * blocks + block]!;
    }
  }
  const x = input(ctx, node, 0);
  const weight = ctx.const(w, [k, n], ctx.dtype(x));
  const bias = optionalInput(node, 5);
  const y = matmulOf(ctx, x, weight, bias ? undefined : output(node));
  if (bias) bin(ctx, "add", y, bias, output(node));
};

/**
 * DynamicQuantizeLinear: the HAL's dynamicQuantizeLinear composite (uint8 with scale
 * (max(x, 0) − min(x, 0)) / 255 and zero point round(−min / scale), values round(x / scale) + zero
 * point, saturated, round half to even); a device runs it in one kernel or as its decomposition.
 */
const dynamicQuantizeLinear: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  if (ctx.dtype(x) !== "float32") throw new DTypeError(`${ctx.where()}: expects float32, got ${ctx.dtype(x)}`);
  ctx.opN("dynamicQuantizeLinear", [x], {}, [output(node, 0), output(node, 1), output(node, 2)]);
};

/** MatMulInteger: (A − a_zero_point) · (B − b_zero_point), exact in int32. */
const matMulInteger: OpImporter = (ctx, node) => {
  integerMatmulOf(ctx, input(ctx, node, 0), input(ctx, node, 1), optionalInput(node, 2), optionalInput(node, 3), output(node));
};

/**
 * QuantizeLinear / DequantizeLinear (com.microsoft), which onnxruntime's quantiser writes with its
 * contrib-ops option (16-bit QDQ models): ONNX's operators with opset 19's semantics (per tensor or
 * per `axis`).
 */
const contribQdq =
  (op: "QuantizeLinear" | "DequantizeLinear"): OpImporter =>
  (ctx, node) => {
    refuseUnknownAttributes(ctx, node, ["axis"]);
    QUANTIZE_IMPORTERS[op]!(ctx, { ...node, domain: "", opset: 19 });
  };

export const CONTRIB_IMPORTERS: Record<string, OpImporter> = {
  ...ATTENTION_IMPORTERS,
  ...QLINEAR_IMPORTERS,
  ...ORT_FUSED_IMPORTERS,
  ...ORT_QUANTIZED_MATMUL_IMPORTERS,
  ...ORT_CHANNELS_LAST_IMPORTERS,
  BiasGelu: biasGelu,
  EmbedLayerNormalization: embedLayerNormalization,
  FastGelu: fastGelu,
  QuickGelu: quickGelu,
  SkipLayerNormalization: skipLayerNormalization,
  SkipSimplifiedLayerNormalization: skipSimplifiedLayerNormalization,
  MatMulNBits: matMulNBits,
  QuantizeLinear: contribQdq("QuantizeLinear"),
  DequantizeLinear: contribQdq("DequantizeLinear"),
};

/** Quantisation ops of the default domain used by dynamically quantised exports. */
export const DYNAMIC_QUANTIZATION_IMPORTERS: Record<string, OpImporter> = {
  DynamicQuantizeLinear: dynamicQuantizeLinear,
  MatMulInteger: matMulInteger,
};
