/**
 * A synthetic portrait for the background-removal models: a head and shoulders in warm, shaded
 * tones in front of a textured, cooler background (a wall with a window-like bright patch), as
 * @imgly/background-removal feeds ISNet: RGB (pixel − 128) / 256, NCHW, `n`×`n`.
 */
export function portraitPhoto(n: number, seed: number): Float32Array {
  const out = new Float32Array(3 * n * n);
  const skin = [224, 172, 140];
  const shirt = [40, 70, 150];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const u = x / n - 0.5;
      const v = y / n;
      const head = (u / 0.16) ** 2 + ((v - 0.36) / 0.21) ** 2 < 1;
      const shoulders = v > 0.58 && Math.abs(u) < 0.12 + 0.9 * (v - 0.58);
      const light = 0.75 + 0.25 * Math.cos((u + 0.1) * 4);
      const window = x > 0.7 * n && x < 0.9 * n && y > 0.1 * n && y < 0.45 * n;
      for (let c = 0; c < 3; c++) {
        const wall = 150 + 20 * c + 25 * Math.sin(x * 0.03 + seed) * Math.cos(y * 0.021 + c) + 10 * Math.sin((x + y) * 0.31 + c);
        const pixel = head ? skin[c]! * light : shoulders ? shirt[c]! * light + 8 * Math.sin(x * 0.2) : window ? 245 : wall;
        out[c * n * n + y * n + x] = (Math.min(255, Math.max(0, pixel)) - 128) / 256;
      }
    }
  }
  return out;
}
