import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";
import { literal, type Scalar } from "./dtypes.ts";
import type { ParamBlock } from "./params.ts";
import { withPrelude } from "./prelude.ts";

export const GEMM_TILE = 64; // output tile edge: 16 x 16 invocations, 4 x 4 outputs each
const KT = 16; // depth of one shared-memory step

/**
 * A tiled GEMM whose operands are functions, so matmul, conv2d (implicit im2col) and both conv
 * gradients share one tiling: each workgroup computes a 64 x 64 tile of C[z] = A[z] B[z], staging
 * 64 x 16 slices of A and 16 x 64 slices of B in workgroup memory.
 *
 * `functions` must define, in WGSL, `load_a(z, m, k)`, `load_b(z, k, n)` (called only inside
 * [0, M) x [0, K) and [0, K) x [0, N)) and `store(z, m, n, v)`; `params` must hold `M`, `N`, `K`
 * (u32) and gets `z_base`. Batches beyond maxComputeWorkgroupsPerDimension take several dispatches.
 */
export interface GemmSpec {
  readonly op: string;
  readonly key: string;
  readonly scalar: Scalar;
  readonly params: () => ParamBlock;
  readonly bindings: string;
  readonly functions: string;
  readonly reads: readonly WebGpuBuffer[];
  readonly writes: readonly WebGpuBuffer[];
  readonly M: number;
  readonly N: number;
  readonly batches: number;
  readonly aFast?: "k" | "m";
  readonly bFast?: "n" | "k";
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

export function tiledGemm(device: Dispatcher, spec: GemmSpec): void {
  const s = spec.scalar;
  const zero = literal(s, 0);
  const maxZ = device.maxWorkgroupsPerDimension;
  const aFast = spec.aFast ?? "k";
  const bFast = spec.bFast ?? "n";
  const aTile = aFast === "k" ? `let ar = idx / ${KT}u; let ac = idx % ${KT}u;` : `let ar = idx % ${GEMM_TILE}u; let ac = idx / ${GEMM_TILE}u;`;
  const bTile = bFast === "n" ? `let br = idx / ${GEMM_TILE}u; let bc = idx % ${GEMM_TILE}u;` : `let br = idx % ${KT}u; let bc = idx / ${KT}u;`;
  for (let base = 0; base < spec.batches; base += maxZ) {
    const params = spec.params().u32("z_base", base);
    device.dispatch({
      op: spec.op,
      key: `gemm:${spec.key}:${aFast}${bFast}`,
      params,
      reads: spec.reads,
      writes: spec.writes,
      workgroups: [Math.ceil(spec.N / GEMM_TILE), Math.ceil(spec.M / GEMM_TILE), Math.min(maxZ, spec.batches - base)],
      args: spec.args,
      wgsl: () =>
        withPrelude(
          [
            params.wgsl(),
            spec.bindings,
            spec.functions,
            `var<workgroup> As: array<array<${s}, ${KT}>, ${GEMM_TILE}>;`,
            `var<workgroup> Bs: array<array<${s}, ${GEMM_TILE}>, ${KT}>;`,
            "@compute @workgroup_size(16, 16) fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {",
            "  let M = prm_M(); let N = prm_N(); let K = prm_K();",
            "  let z = prm_z_base() + wid.z;",
            `  let row0 = wid.y * ${GEMM_TILE}u; let col0 = wid.x * ${GEMM_TILE}u;`,
            "  let tid = lid.y * 16u + lid.x;",
            `  var acc: array<array<${s}, 4>, 4>;`,
            `  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = ${zero}; } }`,
            `  for (var k0 = 0u; k0 < K; k0 += ${KT}u) {`,
            "    for (var i = 0u; i < 4u; i++) {",
            "      let idx = tid + 256u * i;",
            `      ${aTile}`,
            "      let m = row0 + ar; let ka = k0 + ac;",
            `      var av = ${zero};`,
            "      if (m < M && ka < K) { av = load_a(z, m, ka); }",
            "      As[ar][ac] = av;",
            `      ${bTile}`,
            "      let kb = k0 + br; let n = col0 + bc;",
            `      var bv = ${zero};`,
            "      if (kb < K && n < N) { bv = load_b(z, kb, n); }",
            "      Bs[br][bc] = bv;",
            "    }",
            "    workgroupBarrier();",
            `    for (var kk = 0u; kk < ${KT}u; kk++) {`,
            `      var av4: array<${s}, 4>;`,
            "      for (var i = 0u; i < 4u; i++) { av4[i] = As[lid.y + 16u * i][kk]; }",
            "      for (var j = 0u; j < 4u; j++) {",
            "        let bv = Bs[kk][lid.x + 16u * j];",
            "        for (var i = 0u; i < 4u; i++) { acc[i][j] = acc[i][j] + av4[i] * bv; }",
            "      }",
            "    }",
            "    workgroupBarrier();",
            "  }",
            "  for (var i = 0u; i < 4u; i++) {",
            "    let m = row0 + lid.y + 16u * i;",
            "    for (var j = 0u; j < 4u; j++) {",
            "      let n = col0 + lid.x + 16u * j;",
            "      if (m < M && n < N) { store(z, m, n, acc[i][j]); }",
            "    }",
            "  }",
            "}",
          ].join("\n"),
        ),
    });
  }
}
