/**
 * Writes fixtures/jpeg-libjpeg.json: small JPEGs that libjpeg-turbo's cjpeg encodes with several
 * sampling factors, progressive scans, restart intervals and gray, each with the pixels its djpeg
 * decodes (islow IDCT, fancy upsampling: the defaults Pillow, ONNX's reference, uses too), which
 * src/host/image/jpeg.test.ts compares with decodeJpeg's. Needs cjpeg and djpeg
 * (Debian: apt-get install libjpeg-turbo-progs). Run: node --import tsx scripts/generate-jpeg-fixtures.ts
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const target = fileURLToPath(new URL("../fixtures/jpeg-libjpeg.json", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "jpeg-fixtures-"));
// 37×23 (not a multiple of any MCU size): a gradient with a deterministic pattern of noise.
const [width, height] = [37, 23];
const noise = (i: number) => (i * 7919 + ((i * i) % 101)) % 61;
const pixels = Uint8Array.from({ length: width * height * 3 }, (_, i) => {
  const [p, c] = [Math.floor(i / 3), i % 3];
  const [x, y] = [p % width, Math.floor(p / width)];
  return [Math.min(255, x * 6 + noise(i)), (y * 11) % 256, (x * y + noise(i) * 2) % 256][c]!;
});
const source = join(dir, "source.ppm");
writeFileSync(source, Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), pixels]));

const CASES: Record<string, string[]> = {
  "2x2 baseline": ["-sample", "2x2"],
  "2x1 progressive, restart every 3 MCUs": ["-sample", "2x1", "-progressive", "-restart", "3B"],
  "1x2 baseline": ["-sample", "1x2"],
  "4x1 baseline (replicated chroma)": ["-sample", "4x1"],
  "1x1 progressive, quality 95": ["-sample", "1x1", "-progressive", "-quality", "95"],
  "2x2 restart every MCU row, optimised tables, quality 30": ["-sample", "2x2", "-restart", "1", "-optimize", "-quality", "30"],
  "gray progressive": ["-grayscale", "-progressive"],
};
const fixtures: Record<string, { options: string; jpeg: string; pixels: string; channels: number }> = {};
for (const [name, options] of Object.entries(CASES)) {
  const jpeg = execFileSync("cjpeg", [...options, source]);
  const file = join(dir, "x.jpg");
  writeFileSync(file, jpeg);
  const pnm = execFileSync("djpeg", ["-pnm", file]);
  const gray = pnm[1] === 0x35;
  const header = `P${gray ? 5 : 6}\n${width} ${height}\n255\n`;
  if (pnm.subarray(0, header.length).toString("latin1") !== header) throw new Error(`djpeg wrote an unexpected header for '${name}'`);
  fixtures[name] = {
    options: options.join(" "),
    jpeg: jpeg.toString("base64"),
    pixels: pnm.subarray(header.length).toString("base64"),
    channels: gray ? 1 : 3,
  };
}
const versionRun = spawnSync("djpeg", ["-version"], { encoding: "utf8" });
const version = `${versionRun.stdout}${versionRun.stderr}`.trim();
writeFileSync(target, `${JSON.stringify({ producer: `cjpeg/djpeg, ${version}`, width, height, fixtures }, null, 1)}\n`);
console.log(`wrote ${Object.keys(fixtures).length} JPEG fixtures to ${target}`);
