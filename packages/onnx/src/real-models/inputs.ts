/**
 * Realistic synthetic inputs for the real-model suite (real-models/models.json): documents for the
 * OCR models, embedding-like features for the wake-word heads, voice-like audio for Silero VAD,
 * phoneme ids of two sentences for the Piper voice, audio and token ids for Moonshine (moonshine.ts),
 * a portrait for the ISNet background removers (photos.ts).
 * The suite's test and the bench's --models mode feed the same values.
 */

import type { RealModelFeeds } from "./feeds.ts";
import { moonshineDecoderRuns, moonshineEncoderRuns } from "./moonshine.ts";
import { portraitPhoto } from "./photos.ts";
import { noiseFloor, voice } from "./signals.ts";

/** A synthetic document: light paper with dark strokes (text-like bars), ImageNet-normalised, NCHW. */
export function documentImage(h: number, w: number, seed: number): Float32Array {
  const out = new Float32Array(3 * h * w);
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const line = Math.floor(y / 16);
      const inStroke = y % 16 > 4 && y % 16 < 12 && (x + line * 7 + seed) % 13 < 8 && x > 6 && x < w - 6;
      const paper = 0.92 + 0.04 * Math.sin(x * 0.05 + y * 0.03 + seed);
      for (let c = 0; c < 3; c++) out[c * h * w + y * w + x] = ((inStroke ? 0.1 + 0.05 * c : paper) - mean[c]!) / std[c]!;
    }
  }
  return out;
}

/** Embedding-like features for the wake-word heads (the openWakeWord embedding model's range). */
function features(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(i * 0.37 + seed) * Math.cos(i * 0.011));
}

/**
 * Log-mel frames as openWakeWord feeds its embedding model (melspectrogram's output / 10 + 2:
 * about −4.5 to 3.5), 32 bands a frame, with a formant-like ridge that drifts over time.
 */
function melFeatures(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const band = i % 32;
    const frame = Math.floor(i / 32);
    const ridge = Math.exp(-(((band - 10 - 6 * Math.sin(frame * 0.2 + seed)) / 5) ** 2));
    return -3 + 5.5 * ridge + 0.4 * Math.sin(i * 0.91 + seed);
  });
}

export const image = (shape: number[], data: Float32Array): RealModelFeeds => ({ x: { data, shape, type: "float32" } });

/** A voice-like chunk: two tones with a slow envelope, 512 samples at 16 kHz. */
function speech(seed: number): Float32Array {
  return Float32Array.from(
    { length: 512 },
    (_, i) => (0.2 + 0.1 * Math.sin(i * 0.01 + seed)) * (Math.sin(i * (0.06 + 0.01 * seed)) + 0.3 * Math.sin(i * 0.71)),
  );
}

const vad = (): RealModelFeeds[] =>
  [0, 1].map((seed) => ({
    input: { data: speech(seed), shape: [1, 512], type: "float32" },
    sr: { data: Int32Array.of(16000), shape: [], type: "int64" },
    state: { data: features(2 * 128, seed + 7).map((v) => v * 0.2), shape: [2, 1, 128], type: "float32" },
  }));

/**
 * Silero v4 carries the LSTM's h and c as separate inputs of 64 units; it is fed 512 and
 * 1,536-sample chunks (16 kHz) over a noise floor, as a microphone gives. Without one, the pure
 * tones leave frequency bins whose STFT is a cancelling sum of ~1e-7, and v4's log(1 + C·|X|)
 * turns float32 summation-order noise there into 0.06 in its features: any two correct
 * runtimes then disagree (onnxruntime-web and -node differ by 2.5e-4 on its output).
 */
const vadLegacy = (): RealModelFeeds[] =>
  [512, 1536].map((n, seed) => {
    const noise = noiseFloor(n, 3e-3, seed);
    return {
      input: { data: Float32Array.from({ length: n }, (_, i) => speech(seed)[i % 512]! * (1 - i / (2 * n)) + noise[i]!), shape: [1, n], type: "float32" },
      sr: { data: Int32Array.of(16000), shape: [], type: "int64" },
      h: { data: features(2 * 64, seed + 3).map((v) => v * 0.2), shape: [2, 1, 64], type: "float32" },
      c: { data: features(2 * 64, seed + 5).map((v) => v * 0.2), shape: [2, 1, 64], type: "float32" },
    };
  });

/**
 * Piper phoneme ids: "^", then each IPA symbol followed by the pad "_", then "$" (Piper's
 * layout), with ids from the voice's phoneme_id_map (en_US-ryan-medium.onnx.json in the same
 * package; tokens.txt agrees). The IPA is transcribed by hand in espeak-ng's en-us style.
 */
const PIPER_IDS: Readonly<Record<string, number>> = {
  " ": 3,
  ".": 10,
  a: 14,
  d: 17,
  h: 20,
  l: 24,
  o: 27,
  w: 35,
  ə: 59,
  ɜ: 62,
  ɪ: 74,
  ʊ: 100,
  ˈ: 120,
  ː: 122,
};

function piperIds(ipa: string): number[] {
  const ids = [1, 0];
  for (const symbol of ipa) {
    const id = PIPER_IDS[symbol];
    if (id === undefined) throw new Error(`no Piper id for '${symbol}' in "${ipa}"`);
    ids.push(id, 0);
  }
  return [...ids, 2];
}

/**
 * Two short sentences of different lengths ("Hi." and "Hello world.": the decoder's cost grows with the audio), with the noise
 * scales at 0 so the random terms vanish and the output is deterministic (length scale 1).
 */
const tts = (): RealModelFeeds[] =>
  ["hˈaɪ.", "həlˈoʊ wˈɜːld."].map((ipa) => {
    const ids = piperIds(ipa);
    return {
      input: { data: Int32Array.from(ids), shape: [1, ids.length], type: "int64" },
      input_lengths: { data: Int32Array.of(ids.length), shape: [1], type: "int64" },
      scales: { data: Float32Array.of(0, 1, 0), shape: [3], type: "float32" },
    };
  });

/** Each suite model's runs, in order (several input sizes where its dims are dynamic). */
export const REAL_MODEL_INPUTS: Readonly<Record<string, () => RealModelFeeds[]>> = {
  "ppocr-v4-det": () =>
    [
      [96, 128],
      [64, 160],
    ].map(([h, w], k) => image([1, 3, h!, w!], documentImage(h!, w!, k))),
  "ppocr-v4-rec": () => [160, 320].map((w, k) => image([1, 3, 48, w], documentImage(48, w, k + 3))),
  "ppocr-mobile-v2-cls": () => [image([1, 3, 48, 192], documentImage(48, 192, 5))],
  "openwakeword-hello-deepa": () => [1, 4].map((seed) => ({ "onnx::Flatten_0": { data: features(25 * 96, seed), shape: [1, 25, 96], type: "float32" } })),
  "openwakeword-namaste-deepa": () => [2, 5].map((seed) => ({ "onnx::Flatten_0": { data: features(24 * 96, seed), shape: [1, 24, 96], type: "float32" } })),
  "silero-vad-op18": vad,
  "silero-vad-lstm": vad,
  "silero-vad-v5": vad,
  "silero-vad-v4-legacy": vadLegacy,
  "piper-hfc-female-medium": tts,
  "openwakeword-melspectrogram": () => [1280, 1760].map((n, seed) => ({ input: { data: voice(n, seed), shape: [1, n], type: "float32" } })),
  "openwakeword-embedding": () =>
    [1, 2].map((batch, seed) => ({ input_1: { data: melFeatures(batch * 76 * 32, seed), shape: [batch, 76, 32, 1], type: "float32" } })),
  "openwakeword-hey-jarvis": () => [3, 6].map((seed) => ({ "x.1": { data: features(16 * 96, seed), shape: [1, 16, 96], type: "float32" } })),
  "moonshine-tiny-encoder": moonshineEncoderRuns,
  "moonshine-tiny-decoder": moonshineDecoderRuns,
  // ISNet's input is fixed at 1024×1024, so one portrait a run.
  "isnet-int8-background-removal": () => [{ input: { data: portraitPhoto(1024, 0), shape: [1, 3, 1024, 1024], type: "float32" } }],
  "isnet-fp16-background-removal": () => [{ input: { data: portraitPhoto(1024, 1), shape: [1, 3, 1024, 1024], type: "float32" } }],
};
