import { readFile } from "node:fs/promises";
import { randomBits } from "@polychip/hal";
import {
  arange,
  crossEntropy,
  div,
  manualSeed,
  multinomial,
  nn,
  noGrad,
  optim,
  reshape,
  saveTrainingCheckpoint,
  setDefaultDevice,
  softmax,
  tensor,
  tidy,
  useDevice,
  type Tensor,
} from "@polychip/engine";
import { writeFileAtomic } from "./files.ts";

/** The characters of a text, each given an id (sorted, so the same text always gives the same ids). */
export class CharVocabulary {
  readonly chars: string[];
  private readonly ids: Map<string, number>;

  constructor(chars: Iterable<string>) {
    this.chars = [...new Set(chars)].sort();
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  static fromText(text: string): CharVocabulary {
    return new CharVocabulary(Array.from(text));
  }

  get size(): number {
    return this.chars.length;
  }

  encode(text: string): Int32Array {
    return Int32Array.from(Array.from(text), (c) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new Error(`character ${JSON.stringify(c)} is not in the vocabulary`);
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.chars[i] ?? "?").join("");
  }
}

export interface GptConfig {
  vocabSize: number;
  blockSize: number;
  dim: number;
  heads: number;
  layers: number;
  dropout?: number;
}

/** A character-level GPT: token + position embeddings, pre-norm causal transformer layers (MultiheadAttention), a language-model head. */
export class CharGpt extends nn.Module {
  tokens: nn.Embedding;
  positions: nn.Embedding;
  blocks: nn.TransformerEncoder;
  head: nn.Linear;

  constructor(readonly config: GptConfig) {
    super();
    const { vocabSize, blockSize, dim, heads, layers } = config;
    this.tokens = new nn.Embedding(vocabSize, dim);
    this.positions = new nn.Embedding(blockSize, dim);
    for (const e of [this.tokens, this.positions]) nn.init.normal_(e.weight, 0, 0.02);
    const layer = () =>
      new nn.TransformerEncoderLayer(dim, heads, {
        dimFeedforward: 4 * dim,
        dropout: config.dropout ?? 0,
        activation: "gelu",
        batchFirst: true,
        normFirst: true,
      });
    this.blocks = new nn.TransformerEncoder(layer, layers, new nn.LayerNorm(dim));
    this.head = new nn.Linear(dim, vocabSize);
  }

  /** Logits [B, T, vocab] for token ids [B, T]. */
  forward(ids: Tensor): Tensor {
    const t = ids.shape[1]!;
    if (t > this.config.blockSize) throw new Error(`CharGpt: ${t} tokens exceed the context of ${this.config.blockSize}`);
    const x = this.tokens.call(ids).add(this.positions.call(arange(0, t, 1, { device: ids.device })));
    return this.head.call(this.blocks.encode(x, { isCausal: true }));
  }
}

export interface GptTrainOptions {
  text: string;
  steps: number;
  batchSize?: number;
  blockSize?: number;
  dim?: number;
  heads?: number;
  layers?: number;
  lr?: number;
  seed?: number;
  device?: string;
  onStep?: (step: number, loss: number) => void;
}

export interface GptTrained {
  model: CharGpt;
  vocab: CharVocabulary;
  losses: number[];
  seconds: number;
}

/** Trains on random windows of the text, each target the next character, with AdamW. */
export async function trainGpt(o: GptTrainOptions): Promise<GptTrained> {
  const vocab = CharVocabulary.fromText(o.text);
  const ids = vocab.encode(o.text);
  const blockSize = Math.min(o.blockSize ?? 32, ids.length - 1);
  if (blockSize < 2) throw new Error(`the text is too short to train on (${ids.length} characters)`);
  const batchSize = o.batchSize ?? 16;
  const seed = o.seed ?? 0;
  manualSeed(seed);
  const device = o.device ?? "cpu";
  const model = new CharGpt({ vocabSize: vocab.size, blockSize, dim: o.dim ?? 48, heads: o.heads ?? 4, layers: o.layers ?? 2 });
  if (device !== "cpu") model.to(device);
  const opt = new optim.AdamW(model.parameters(), { lr: o.lr ?? 3e-3, weightDecay: 0.01 });
  const losses: number[] = [];
  const started = performance.now();
  model.train();
  for (let step = 0; step < o.steps; step++) {
    const x = new Int32Array(batchSize * blockSize);
    const y = new Int32Array(batchSize * blockSize);
    for (let b = 0; b < batchSize; b++) {
      const start = randomBits(seed, step * batchSize + b) % (ids.length - blockSize);
      x.set(ids.subarray(start, start + blockSize), b * blockSize);
      y.set(ids.subarray(start + 1, start + blockSize + 1), b * blockSize);
    }
    const loss = tidy(() => {
      const logits = model.call(tensor(x, { shape: [batchSize, blockSize], device }));
      // [B, T, V] -> classes on dim 1, as torch's cross_entropy expects.
      const l = crossEntropy(logits.transpose(1, 2), tensor(y, { shape: [batchSize, blockSize], device }));
      opt.zeroGrad();
      l.backward();
      optim.clipGradNorm_(model.parameters(), 1);
      opt.step();
      return l.detach();
    });
    losses.push(await loss.item());
    loss.dispose();
    o.onStep?.(step + 1, losses[losses.length - 1]!);
  }
  opt.dispose();
  return { model, vocab, losses, seconds: (performance.now() - started) / 1000 };
}

/** Continues `prompt` by `length` characters, sampling from softmax(logits / temperature). */
export async function sampleGpt(model: CharGpt, vocab: CharVocabulary, prompt: string, length: number, temperature = 0.8): Promise<string> {
  const ids = Array.from(vocab.encode(prompt || vocab.chars[0]!));
  const device = model.parameters()[0]!.device;
  model.eval();
  for (let i = 0; i < length; i++) {
    const context = ids.slice(-model.config.blockSize);
    const next = noGrad(() =>
      tidy(() => {
        const logits = model.call(tensor(Int32Array.from(context), { shape: [1, context.length], device }));
        const last = reshape(logits.slice(1, context.length - 1, context.length), [1, vocab.size]);
        return multinomial(softmax(div(last, temperature), -1), 1);
      }),
    );
    ids.push((await next.data())[0]!);
    next.dispose();
  }
  model.train();
  return vocab.decode(ids.slice(prompt ? vocab.encode(prompt).length : 1));
}

/** The training checkpoint `polychip export` turns into a deployable graph: weights, plus the config and vocabulary that rebuild the model. */
export function gptCheckpoint(trained: Pick<GptTrained, "model" | "vocab">, step: number): Promise<Uint8Array> {
  return saveTrainingCheckpoint({ model: trained.model, step, extra: { model: "gpt", config: trained.model.config, vocab: trained.vocab.chars } });
}

export interface GptCommandArgs {
  /** A text file; the repository README when left out. */
  text?: string;
  steps: number;
  device: string;
  seed: number;
  out: string;
  samples?: number;
  json?: boolean;
}

/** `polychip train --model gpt --text <file>`: trains the character model, prints the loss and samples, saves a training checkpoint. */
export async function trainGptCommand(
  args: GptCommandArgs,
): Promise<{ firstLoss: number; lastLoss: number; seconds: number; samples: string[]; checkpoint: string }> {
  const path = args.text ?? new URL("../../../README.md", import.meta.url).pathname;
  const text = await readFile(path, "utf8");
  if (args.device !== "cpu") await useDevice(args.device);
  setDefaultDevice(args.device);
  const log = (line: string) => !args.json && process.stdout.write(`${line}\n`);
  log(`text: ${path} (${text.length} characters)`);
  const every = Math.max(1, Math.floor(args.steps / 10));
  const trained = await trainGpt({
    text,
    steps: args.steps,
    seed: args.seed,
    device: args.device,
    onStep: (s, l) => s % every === 0 && log(`step ${s}: loss ${l.toFixed(4)}`),
  });
  const samples: string[] = [];
  for (let i = 0; i < (args.samples ?? 2); i++) {
    const sample = await sampleGpt(trained.model, trained.vocab, "", 120);
    samples.push(sample);
    log(`sample ${i + 1}: ${JSON.stringify(sample)}`);
  }
  await writeFileAtomic(args.out, await gptCheckpoint(trained, args.steps));
  log(`checkpoint: ${args.out}`);
  const result = {
    firstLoss: trained.losses[0]!,
    lastLoss: trained.losses[trained.losses.length - 1]!,
    seconds: trained.seconds,
    samples,
    checkpoint: args.out,
  };
  trained.model.dispose();
  return result;
}
