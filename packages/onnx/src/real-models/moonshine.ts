import type { RealModelFeeds } from "./feeds.ts";
import { voice } from "./signals.ts";

/** Moonshine tiny's decoder: 6 layers of 8 heads × 36, each with self- and cross-attention key/value caches. */
const LAYERS = 6;
const HEADS = 8;
const HEAD_DIM = 36;
const HIDDEN = 288;

/** The encoder on half a second and one second of voice (19 and 40 output frames). */
export const moonshineEncoderRuns = (): RealModelFeeds[] => [8000, 16000].map(moonshineEncoderRun);

/** The encoder's feeds for `samples` of voice at 16 kHz. */
export function moonshineEncoderRun(samples: number, seed: number): RealModelFeeds {
  return { input_values: { data: voice(samples, seed), shape: [1, samples], type: "float32" } };
}

/**
 * Two sentences as the decoder sees them in its first step, without a cache: the start token (1)
 * then the text's ids. moonshine-js decodes with llama-tokenizer-js, so the ids are that
 * tokenizer's (llama-tokenizer-js@1.2.2's encode, checked by decoding back).
 */
const SENTENCES: readonly (readonly number[])[] = [
  // "Turn on the kitchen lights."
  [1, 9603, 373, 278, 29181, 26068, 29889],
  // "What is the weather like in Paris tomorrow afternoon?"
  [1, 1724, 338, 278, 14826, 763, 297, 3681, 6454, 22396, 17724, 29973],
];

/** Encoder states in the range the encoder gives for a second of voice (40 frames of 288, about ±4): smooth in time, different per channel. */
function encoderStates(frames: number): Float32Array {
  return Float32Array.from({ length: frames * HIDDEN }, (_, i) => {
    const frame = Math.floor(i / HIDDEN);
    const channel = i % HIDDEN;
    return 0.6 * Math.sin(channel * 0.37 + frame * 0.11 * (1 + (channel % 5))) + 0.3 * Math.cos(channel * 1.3) + (channel % 47 === 0 ? 2.5 : 0);
  });
}

/**
 * The merged decoder's no-cache branch (use_cache_branch false, empty past) over each sentence:
 * a causal text transformer over a token sequence of dynamic length, cross-attending to the
 * encoder states; its outputs are the logits and the caches a later step would take.
 */
export const moonshineDecoderRuns = (): RealModelFeeds[] => SENTENCES.map((ids) => moonshineDecoderRun(ids, 40));

/** The no-cache branch's feeds for the token `ids` over `frames` encoder states. */
export function moonshineDecoderRun(ids: readonly number[], frames: number): RealModelFeeds {
  const feeds: RealModelFeeds = {
    input_ids: { data: Int32Array.from(ids), shape: [1, ids.length], type: "int64" },
    encoder_hidden_states: { data: encoderStates(frames), shape: [1, frames, HIDDEN], type: "float32" },
    use_cache_branch: { data: Uint8Array.of(0), shape: [1], type: "bool" },
  };
  for (let layer = 0; layer < LAYERS; layer++)
    for (const attention of ["decoder", "encoder"])
      for (const kv of ["key", "value"])
        feeds[`past_key_values.${layer}.${attention}.${kv}`] = { data: new Float32Array(0), shape: [1, HEADS, 0, HEAD_DIM], type: "float32" };
  return feeds;
}
