/** Deterministic audio for the real-model suite's speech models. */

/** A microphone's noise floor: deterministic white noise of amplitude `level`. */
export function noiseFloor(n: number, level: number, seed: number): Float32Array {
  let s = seed + 1;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2 * level;
  });
}

/**
 * `n` samples of a voiced utterance at 16 kHz: a glottal pitch (120–160 Hz, drifting) with its
 * harmonics shaped by two formants that move from syllable to syllable, four syllables a second,
 * over a noise floor.
 */
export function voice(n: number, seed: number): Float32Array {
  const rate = 16000;
  const noise = noiseFloor(n, 3e-3, seed + 11);
  let phase = 0;
  return Float32Array.from({ length: n }, (_, i) => {
    const t = i / rate;
    const syllable = Math.floor(t * 4);
    const envelope = Math.max(0, Math.sin(Math.PI * t * 4)) ** 0.6;
    const pitch = 140 + 20 * Math.sin(t * 3 + seed);
    phase += (2 * Math.PI * pitch) / rate;
    const f1 = 500 + 250 * Math.sin(syllable * 1.7 + seed);
    const f2 = 1500 + 600 * Math.cos(syllable * 2.3 + seed);
    let sample = 0;
    for (let h = 1; h <= 20; h++) {
      const f = h * pitch;
      const gain = Math.exp(-(((f - f1) / 200) ** 2)) + 0.6 * Math.exp(-(((f - f2) / 300) ** 2)) + 0.05 / h;
      sample += gain * Math.sin(h * phase);
    }
    return 0.15 * envelope * sample + noise[i]!;
  });
}
