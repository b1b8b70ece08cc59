import { UnsupportedOpError } from "@polychip/hal";
import { axisOf, input, output, refuseUnknownAttributes, type OpImporter } from "./helpers.ts";
import { rmsNormOf } from "./normalization.ts";

/**
 * SimplifiedLayerNormalization: onnxruntime registers it in the default ONNX domain (version 1),
 * so its optimiser writes it with domain "" — x / sqrt(mean(x²) + ε) · scale over the dims from
 * `axis` on. stash_type 1 (float32 statistics) is the only one defined; the inv_std_var output
 * is refused.
 */
const simplifiedLayerNormalization: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, ["axis", "epsilon", "stash_type"]);
  const stash = node.attrs.int("stash_type", 1);
  if (stash !== 1) throw new UnsupportedOpError(`${ctx.where()}: SimplifiedLayerNormalization's stash_type ${stash} is not supported (1, float32, is)`);
  if (output(node, 1)) throw new UnsupportedOpError(`${ctx.where()}: SimplifiedLayerNormalization's inv_std_var output is not supported`);
  const x = input(ctx, node, 0);
  rmsNormOf(ctx, x, axisOf(ctx, node.attrs.int("axis", -1), ctx.rank(x)), node.attrs.float("epsilon", 1e-5), input(ctx, node, 1), output(node));
};

/** onnxruntime's operators in the default domain, as its optimiser writes them. */
export const ORT_ONNX_DOMAIN_IMPORTERS: Record<string, OpImporter> = {
  SimplifiedLayerNormalization: simplifiedLayerNormalization,
};
