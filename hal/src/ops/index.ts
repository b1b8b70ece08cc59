import { UnsupportedOpError } from "../errors.ts";
import { COMPOSITES } from "./composites.ts";
import { PRIMITIVES } from "./primitives.ts";
import { QUANTIZED_OPS } from "./quantized.ts";
import { RECURRENT_OPS } from "./recurrent.ts";
import type { OpDef } from "./types.ts";

export * from "./types.ts";
export { PRIMITIVES, ELEMENTWISE_FAMILIES } from "./primitives.ts";
export { QUANTIZED_OPS, quantizeLinear, dequantizeLinear, quantizedMatmul, quantizedConv2d } from "./quantized.ts";
export { integerMatmul, isPerTensor as isPerTensorZeroPoint } from "./integer-matmul.ts";
export { matmulDequantized } from "./matmul-dequantized.ts";
export { dynamicQuantizeLinear } from "./dynamic-quantize.ts";
export { RECURRENT_OPS } from "./recurrent.ts";
export { erfTaylorTable, ERF_TABLE_LAYOUT } from "./erf.ts";
export { UNARY_SCALAR, BINARY_SCALAR, REDUCE_SCALAR, argIndex, ARG_BETTER, type Scalar1, type Scalar2 } from "./scalar.ts";
export {
  recurrentConfig,
  RECURRENT_KINDS,
  ACTIVATION_DEFAULTS,
  ACTIVATION_PARAMS,
  type Activation as RecurrentActivation,
  type RecurrentConfig,
  type RecurrentOp,
  type OptionalInput as RecurrentOptionalInput,
} from "./recurrent-config.ts";
export { COMPOSITES, conv2dGeometry, window2d, type Conv2dGeometry, type Window2d } from "./composites.ts";
export { numAttr, boolAttr, listAttr } from "./attrs.ts";
export { EPILOGUE_BASES, parseEpilogue, type Epilogue } from "./epilogue.ts";
export { FUSIBLE_OPS, fusedOutputShape, fusedValueTypes, parseFusedProgram, type FusedProgram, type FusedStep } from "./fused-program.ts";

const BY_NAME = new Map<string, OpDef>([...PRIMITIVES, ...COMPOSITES, ...QUANTIZED_OPS, ...RECURRENT_OPS].map((d) => [d.name, d]));

export function getOp(name: string): OpDef {
  const def = BY_NAME.get(name);
  if (!def) throw new UnsupportedOpError(`unknown op '${name}': the HAL defines ${BY_NAME.size} ops (see hal/README.md)`);
  return def;
}

export function hasOp(name: string): boolean {
  return BY_NAME.has(name);
}

export function allOps(): OpDef[] {
  return [...BY_NAME.values()];
}
