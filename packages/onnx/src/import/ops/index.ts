import { ACTIVATION_IMPORTERS } from "./activations.ts";
import { CONTRIB_IMPORTERS, DYNAMIC_QUANTIZATION_IMPORTERS } from "./contrib.ts";
import { CONTROL_FLOW_IMPORTERS } from "./control-flow.ts";
import { CONV_IMPORTERS } from "./conv.ts";
import { ELEMENTWISE_IMPORTERS } from "./elementwise.ts";
import type { OpImporter } from "./helpers.ts";
import { MATMUL_IMPORTERS } from "./matmul.ts";
import { NORMALIZATION_IMPORTERS } from "./normalization.ts";
import { POOL_IMPORTERS } from "./pool.ts";
import { RECURRENT_IMPORTERS } from "./recurrent.ts";
import { QUANTIZE_IMPORTERS } from "./quantize.ts";
import { RANDOM_IMPORTERS } from "./random.ts";
import { ND_INDEX_IMPORTERS } from "./nd-index.ts";
import { CUMSUM_IMPORTERS } from "./cumsum.ts";
import { REDUCE_IMPORTERS } from "./reduce.ts";
import { RESIZE_IMPORTERS } from "./resize.ts";
import { SHAPE_IMPORTERS } from "./shape.ts";
import { TOPK_IMPORTERS } from "./topk.ts";
import { TRIGONOMETRY_IMPORTERS } from "./trigonometry.ts";
import { TRILU_IMPORTERS } from "./trilu.ts";

export type { OpImporter } from "./helpers.ts";

/** Every ONNX operator Polychip imports, by op_type: the one registration table. */
export const OP_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  ...ELEMENTWISE_IMPORTERS,
  ...ACTIVATION_IMPORTERS,
  ...TRIGONOMETRY_IMPORTERS,
  ...REDUCE_IMPORTERS,
  ...SHAPE_IMPORTERS,
  ...MATMUL_IMPORTERS,
  ...CONV_IMPORTERS,
  ...POOL_IMPORTERS,
  ...NORMALIZATION_IMPORTERS,
  ...TOPK_IMPORTERS,
  ...RESIZE_IMPORTERS,
  ...RECURRENT_IMPORTERS,
  ...CONTROL_FLOW_IMPORTERS,
  ...DYNAMIC_QUANTIZATION_IMPORTERS,
  ...QUANTIZE_IMPORTERS,
  ...RANDOM_IMPORTERS,
  ...ND_INDEX_IMPORTERS,
  ...CUMSUM_IMPORTERS,
  ...TRILU_IMPORTERS,
};

/** Operators of other domains Polychip imports, by domain then op_type. */
export const DOMAIN_IMPORTERS: Readonly<Record<string, Readonly<Record<string, OpImporter>>>> = {
  "com.microsoft": CONTRIB_IMPORTERS,
};

export function supportedOnnxOps(): string[] {
  return Object.keys(OP_IMPORTERS).sort();
}
