import { flatIndex, MAIN_BUILTINS, type Dispatcher } from "../runtime/dispatch.ts";
import { literal } from "./dtypes.ts";
import { withPrelude } from "./prelude.ts";
import type { GemmSpec } from "./tiled-gemm.ts";

/** Products with at most this many rows per batch run as one invocation per output (see thinGemm). */
export const THIN_ROWS = 4;

const WORKGROUP = 64;

/**
 * A GEMM with few rows (a depthwise or grouped convolution's OCg, a matrix-vector product): one
 * invocation per output C[z][m][n] summing A[z][m][k]·B[z][k][n] over k in order, through the
 * same `load_a`, `load_b` and `store` as the tiled GEMM, so the sums are the same. A tile would
 * compute at least 32 rows to keep `M` of them, and a grouped convolution launches one such tile
 * per group: on a software adapter, where each workgroup's barriers cost CPU time, a 200-group
 * depthwise 5×5 took seconds.
 */
export function thinGemm(device: Dispatcher, spec: GemmSpec): void {
  const s = spec.scalar;
  const total = spec.batches * spec.M * spec.N;
  if (total === 0) return;
  const params = spec.params().u32("z_base", 0).u32("thin_total", total);
  device.dispatch({
    op: spec.op,
    key: `gemmthin:${spec.key}`,
    params,
    reads: spec.reads,
    writes: spec.writes,
    workgroups: Math.ceil(total / WORKGROUP),
    args: { ...spec.args, tile: "thin" },
    wgsl: () =>
      withPrelude(
        [
          params.wgsl(),
          spec.bindings,
          spec.functions,
          `@compute @workgroup_size(${WORKGROUP}) fn main(${MAIN_BUILTINS}) {`,
          `  let t = ${flatIndex(WORKGROUP)};`,
          "  if (t >= prm_thin_total()) { return; }",
          "  let M = prm_M(); let N = prm_N(); let K = prm_K();",
          "  let n = t % N; let m = (t / N) % M; let z = t / (N * M);",
          `  var acc = ${literal(s, 0)};`,
          "  for (var k = 0u; k < K; k++) { acc = acc + load_a(z, m, k) * load_b(z, k, n); }",
          "  store(z, m, n, acc);",
          "}",
        ].join("\n"),
      ),
  });
}
