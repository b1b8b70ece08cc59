import { ACTIVATION_IMPORTERS } from "./activations.ts";
import { CONTRIB_IMPORTERS, DYNAMIC_QUANTIZATION_IMPORTERS } from "./contrib.ts";
import { CONTROL_FLOW_IMPORTERS } from "./control-flow.ts";
import { CONV_IMPORTERS } from "./conv.ts";
import { ELEMENTWISE_IMPORTERS } from "./elementwise.ts";
import type { OpImporter } from "./helpers.ts";
import { MATMUL_IMPORTERS } from "./matmul.ts";
import { NORMALIZATION_IMPORTERS } from "./normalization.ts";
import { ORT_ONNX_DOMAIN_IMPORTERS } from "./ort-onnx-domain.ts";
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
import { SIGNAL_IMPORTERS } from "./signal.ts";
import { WINDOW_IMPORTERS } from "./windows.ts";
import { GRID_SAMPLE_IMPORTERS } from "./grid-sample.ts";
import { NMS_IMPORTERS } from "./non-max-suppression.ts";
import { ROI_ALIGN_IMPORTERS } from "./roi-align.ts";
import { MAX_ROI_POOL_IMPORTERS } from "./max-roi-pool.ts";
import { AFFINE_GRID_IMPORTERS } from "./affine-grid.ts";
import { COL2IM_IMPORTERS } from "./col2im.ts";
import { CENTER_CROP_PAD_IMPORTERS } from "./center-crop-pad.ts";
import { MAX_UNPOOL_IMPORTERS } from "./max-unpool.ts";
import { EINSUM_IMPORTERS } from "./einsum.ts";
import { TRIANGULAR_IMPORTERS } from "./triangular.ts";
import { ONE_HOT_IMPORTERS } from "./one-hot.ts";
import { LP_NORMALIZATION_IMPORTERS } from "./lp-normalization.ts";
import { LP_POOL_IMPORTERS } from "./lp-pool.ts";
import { SHRINK_IMPORTERS } from "./shrink.ts";
import { REVERSE_SEQUENCE_IMPORTERS } from "./reverse-sequence.ts";
import { BITWISE_IMPORTERS } from "./bitwise.ts";
import { COMPRESS_IMPORTERS } from "./compress.ts";
import { DET_IMPORTERS } from "./det.ts";
import { ONNX_ATTENTION_IMPORTERS } from "./onnx-attention.ts";
import { ROTARY_EMBEDDING_IMPORTERS } from "./rotary-embedding.ts";
import { UNIQUE_IMPORTERS } from "./unique.ts";
import { TENSOR_SCATTER_IMPORTERS } from "./tensor-scatter.ts";
import { LOSS_IMPORTERS } from "./losses.ts";
import { SAMPLING_IMPORTERS } from "./sampling.ts";
import { ML_LINEAR_IMPORTERS } from "./ml-linear.ts";
import { ML_TREE_IMPORTERS } from "./ml-trees.ts";
import { ML_SVM_IMPORTERS } from "./ml-svm.ts";
import { ML_ENCODER_IMPORTERS } from "./ml-encoders.ts";
import { DEFORM_CONV_IMPORTERS } from "./deform-conv.ts";
import { TRAINING_OPTIMIZER_IMPORTERS } from "./training-optimizers.ts";
import { GRADIENT_IMPORTERS } from "./gradient.ts";
import { SEQUENCE_IMPORTERS } from "./sequence.ts";
import { OPTIONAL_IMPORTERS } from "./optional.ts";
import { STRING_IMPORTERS, stringEqual, withStringForm } from "./strings.ts";
import { ML_STRING_ENCODER_IMPORTERS } from "./ml-string-encoders.ts";
import { TFIDF_IMPORTERS } from "./tfidf.ts";
import { IMAGE_DECODER_IMPORTERS } from "./image-decoder.ts";
import { STRING_SHAPE_FORMS } from "./string-shapes.ts";

export type { OpImporter } from "./helpers.ts";

/** The ai.onnx operators' lowerings of number tensors. */
const TENSOR_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  ...ELEMENTWISE_IMPORTERS,
  ...ACTIVATION_IMPORTERS,
  ...TRIGONOMETRY_IMPORTERS,
  ...REDUCE_IMPORTERS,
  ...SHAPE_IMPORTERS,
  ...MATMUL_IMPORTERS,
  ...CONV_IMPORTERS,
  ...POOL_IMPORTERS,
  ...NORMALIZATION_IMPORTERS,
  ...ORT_ONNX_DOMAIN_IMPORTERS,
  ...TOPK_IMPORTERS,
  ...RESIZE_IMPORTERS,
  ...RECURRENT_IMPORTERS,
  ...CONTROL_FLOW_IMPORTERS,
  ...DYNAMIC_QUANTIZATION_IMPORTERS,
  ...QUANTIZE_IMPORTERS,
  ...RANDOM_IMPORTERS,
  ...ND_INDEX_IMPORTERS,
  ...CUMSUM_IMPORTERS,
  ...SIGNAL_IMPORTERS,
  ...WINDOW_IMPORTERS,
  ...GRID_SAMPLE_IMPORTERS,
  ...NMS_IMPORTERS,
  ...ROI_ALIGN_IMPORTERS,
  ...MAX_ROI_POOL_IMPORTERS,
  ...AFFINE_GRID_IMPORTERS,
  ...COL2IM_IMPORTERS,
  ...CENTER_CROP_PAD_IMPORTERS,
  ...MAX_UNPOOL_IMPORTERS,
  ...EINSUM_IMPORTERS,
  ...TRIANGULAR_IMPORTERS,
  ...ONE_HOT_IMPORTERS,
  ...LP_NORMALIZATION_IMPORTERS,
  ...LP_POOL_IMPORTERS,
  ...SHRINK_IMPORTERS,
  ...REVERSE_SEQUENCE_IMPORTERS,
  ...BITWISE_IMPORTERS,
  ...COMPRESS_IMPORTERS,
  ...DET_IMPORTERS,
  ...ONNX_ATTENTION_IMPORTERS,
  ...ROTARY_EMBEDDING_IMPORTERS,
  ...UNIQUE_IMPORTERS,
  ...TENSOR_SCATTER_IMPORTERS,
  ...LOSS_IMPORTERS,
  ...SAMPLING_IMPORTERS,
  ...DEFORM_CONV_IMPORTERS,
  ...SEQUENCE_IMPORTERS,
  ...OPTIONAL_IMPORTERS,
  ...STRING_IMPORTERS,
  ...TFIDF_IMPORTERS,
  ...IMAGE_DECODER_IMPORTERS,
};

/** Every ONNX operator Polychip imports, by op_type: the one registration table (ops that take numbers or strings route by operand). */
export const OP_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  ...TENSOR_IMPORTERS,
  ...Object.fromEntries(
    Object.entries({ ...STRING_SHAPE_FORMS, Equal: stringEqual }).map(([op, strings]) => [op, withStringForm(TENSOR_IMPORTERS[op]!, strings)]),
  ),
};

/** Operators of other domains Polychip imports, by domain then op_type. */
export const DOMAIN_IMPORTERS: Readonly<Record<string, Readonly<Record<string, OpImporter>>>> = {
  "com.microsoft": CONTRIB_IMPORTERS,
  "ai.onnx.ml": { ...ML_LINEAR_IMPORTERS, ...ML_TREE_IMPORTERS, ...ML_SVM_IMPORTERS, ...ML_ENCODER_IMPORTERS, ...ML_STRING_ENCODER_IMPORTERS },
  "ai.onnx.preview.training": { ...TRAINING_OPTIMIZER_IMPORTERS, ...GRADIENT_IMPORTERS },
};

export function supportedOnnxOps(): string[] {
  return Object.keys(OP_IMPORTERS).sort();
}
