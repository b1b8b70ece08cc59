import { MAIN_BUILTINS, flatIndex, type Dispatcher } from "./dispatch.ts";
import type { WebGpuBuffer } from "./buffer.ts";
import { ParamBlock } from "./params.ts";

/**
 * Copies bytes [start, end) of `target` from the same positions in `source` (which holds the words
 * covering them from `firstWord` on), keeping the other bytes of the boundary words. One
 * invocation per word, so no two invocations touch the same word.
 */
export function mergeBytesKernel(
  device: Dispatcher,
  source: WebGpuBuffer,
  target: WebGpuBuffer,
  firstWord: number,
  words: number,
  start: number,
  end: number,
): void {
  const params = new ParamBlock().u32("first", firstWord).u32("words", words).u32("start", start).u32("end", end);
  device.dispatch({
    op: "write",
    key: "mergeBytes",
    params,
    reads: [source],
    writes: [target],
    workgroups: Math.ceil(words / 64),
    wgsl: () =>
      [
        params.wgsl(),
        "@group(0) @binding(1) var<storage, read> src: array<u32>;",
        "@group(0) @binding(2) var<storage, read_write> dst: array<u32>;",
        `@compute @workgroup_size(64) fn main(${MAIN_BUILTINS}) {`,
        `  let t = ${flatIndex(64)};`,
        "  if (t >= prm_words()) { return; }",
        "  let w = prm_first() + t;",
        "  var mask = 0u;",
        "  for (var b = 0u; b < 4u; b++) {",
        "    let g = w * 4u + b;",
        "    if (g >= prm_start() && g < prm_end()) { mask |= 0xffu << (b * 8u); }",
        "  }",
        "  dst[w] = (dst[w] & ~mask) | (src[t] & mask);",
        "}",
      ].join("\n"),
  });
}
