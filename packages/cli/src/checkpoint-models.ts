import { FormatError } from "@polychip/hal";
import { tensor, zeros, type nn, type Tensor } from "@polychip/engine";
import { CharGpt, type GptConfig } from "./gpt-model.ts";
import { createModel } from "./models.ts";

/** A model rebuilt from a checkpoint, with its weights loaded and an input to trace it with. */
export interface RebuiltModel {
  name: string;
  module: nn.Module;
  /** The example batch: 3, which divides none of the models' dims, so the traced graph says unambiguously where the batch goes. */
  example: Tensor;
  /** What a runner needs to use the exported graph (as graph metadata strings). */
  metadata: Record<string, string>;
}

const TRAINING_PREFIX = "model/";

/**
 * Rebuilds the model a checkpoint written by `polychip train` holds: a weights checkpoint naming
 * mlp or cnn (meta.model), or the training checkpoint of `train --model gpt` (meta.kind
 * "training", the model's name, config and vocabulary in meta.extra, weights under "model/").
 * Takes ownership of `state`'s tensors: they are loaded, then disposed.
 */
export function rebuildFromCheckpoint(meta: Record<string, unknown>, state: Map<string, Tensor>, path: string): RebuiltModel {
  try {
    if (meta.kind === "training") return rebuildTraining(meta, state, path);
    const name = meta.model;
    if (typeof name !== "string")
      throw new FormatError(`${path}: the checkpoint does not say which model it holds (meta.model); it was not written by 'polychip train'`);
    const module = createModel(name);
    module.loadStateDict(state);
    const metadata: Record<string, string> = { model: name, checkpoint: path };
    for (const key of ["testAccuracy", "epochs", "device"]) if (meta[key] !== undefined) metadata[key] = String(meta[key]);
    return { name, module, example: zeros([3, 1, 28, 28]), metadata };
  } finally {
    for (const t of state.values()) t.dispose();
  }
}

function rebuildTraining(meta: Record<string, unknown>, state: Map<string, Tensor>, path: string): RebuiltModel {
  const extra = (meta.extra ?? {}) as { model?: unknown; config?: Partial<GptConfig>; vocab?: unknown };
  if (extra.model !== "gpt")
    throw new FormatError(`${path}: a training checkpoint of model ${JSON.stringify(extra.model)}; only 'gpt' training checkpoints can be exported`);
  const config = extra.config;
  const keys = ["vocabSize", "blockSize", "dim", "heads", "layers"] as const;
  if (!config || keys.some((k) => !Number.isInteger(config[k]) || config[k]! < 1))
    throw new FormatError(`${path}: the gpt checkpoint's config needs positive integers ${keys.join(", ")}, got ${JSON.stringify(config)}`);
  if (!Array.isArray(extra.vocab) || extra.vocab.length !== config.vocabSize)
    throw new FormatError(`${path}: the gpt checkpoint's vocabulary must list ${config.vocabSize} characters`);
  const module = new CharGpt(config as GptConfig);
  const weights = new Map<string, Tensor>();
  for (const [name, t] of state) if (name.startsWith(TRAINING_PREFIX)) weights.set(name.slice(TRAINING_PREFIX.length), t);
  module.loadStateDict(weights);
  const blockSize = config.blockSize!;
  return {
    name: "gpt",
    module,
    example: tensor(new Int32Array(3 * blockSize), { shape: [3, blockSize] }),
    metadata: {
      model: "gpt",
      checkpoint: path,
      vocab: JSON.stringify(extra.vocab),
      // The graph's context is fixed; causal attention makes right padding exact for a shorter prompt.
      input: `int32 token ids [batch, ${blockSize}]; logits[b, t] predict the token after position t, so pad a shorter prompt on the right and read its last position`,
    },
  };
}
