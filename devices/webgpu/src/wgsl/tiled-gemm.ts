import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";
import { literal, type Scalar } from "./dtypes.ts";
import type { ParamBlock } from "../runtime/params.ts";
import { withPrelude } from "./prelude.ts";
import { THIN_ROWS, thinGemm } from "./thin-gemm.ts";

/**
 * Output tile shapes. Every one runs 16 x 16 invocations; what differs is how many outputs each
 * computes. Big products want the 128 x 128 tile (8 x 8 outputs per invocation: twice the
 * arithmetic per shared-memory read of the 64 tile); small ones want the 32 x 32 tile, because a
 * 64 x 64 grid over a batch-1 convolution (64 x 3136) is only 49 workgroups and leaves most of a
 * large GPU idle.
 */
export interface GemmTile {
  readonly name: "32" | "64" | "128";
  /** Output rows and columns of one workgroup. */
  readonly tm: number;
  readonly tn: number;
  /** Depth of one shared-memory step. */
  readonly kt: number;
}

export const GEMM_TILES: Readonly<Record<GemmTile["name"], GemmTile>> = {
  "32": { name: "32", tm: 32, tn: 32, kt: 16 },
  "64": { name: "64", tm: 64, tn: 64, kt: 16 },
  "128": { name: "128", tm: 128, tn: 128, kt: 8 },
};

const SIDE = 16; // invocations along each side of a workgroup
const THREADS = SIDE * SIDE;

let forcedTile: GemmTile["name"] | undefined = readTileOverride();

/** POLYCHIP_WEBGPU_GEMM_TILE=32|64|128 pins the tile (benchmarks compare them on one GPU); unset picks by size. */
function readTileOverride(): GemmTile["name"] | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.POLYCHIP_WEBGPU_GEMM_TILE;
  if (value === undefined || value === "" || value === "auto") return undefined;
  if (!(value in GEMM_TILES)) throw new Error(`POLYCHIP_WEBGPU_GEMM_TILE must be 32, 64, 128 or auto, got '${value}'`);
  return value as GemmTile["name"];
}

/** Pins the tile for every later GEMM (undefined: choose by size again). For tests and benchmarks. */
export function forceGemmTile(name: GemmTile["name"] | undefined): void {
  forcedTile = name;
}

/** Workgroups below which a grid of 64-tiles leaves a large GPU idle. */
const SMALL_GRID = 256;
/** 128-tiles once the grid of them alone fills a large GPU. */
const LARGE_GRID = 256;

/**
 * A software adapter (SwiftShader) runs workgroups on a few CPU threads and has no idle cores to
 * fill: it keeps the 64 tile (the 32 tile made its matmul 256 1.4x and the batch-1 conv 1.8x slower).
 */
export function chooseGemmTile(M: number, N: number, batches: number, software = false): GemmTile {
  if (forcedTile) return GEMM_TILES[forcedTile];
  if (software) return GEMM_TILES["64"];
  const grid = (t: GemmTile) => Math.ceil(M / t.tm) * Math.ceil(N / t.tn) * batches;
  // A 128 tile over a 64-row product (a 64-channel convolution) would compute half its rows for nothing.
  if (M >= 128 && N >= 128 && grid(GEMM_TILES["128"]) >= LARGE_GRID) return GEMM_TILES["128"];
  if (grid(GEMM_TILES["64"]) < SMALL_GRID) return GEMM_TILES["32"];
  return GEMM_TILES["64"];
}

/**
 * A tiled GEMM whose operands are functions, so matmul, conv2d (implicit im2col) and both conv
 * gradients share one tiling: each workgroup computes a tile of C[z] = A[z] B[z] (see GemmTile),
 * staging tm x kt slices of A and kt x tn slices of B in workgroup memory.
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
  if (spec.M <= THIN_ROWS && !forcedTile) return thinGemm(device, spec);
  const s = spec.scalar;
  const zero = literal(s, 0);
  const maxZ = device.maxWorkgroupsPerDimension;
  const aFast = spec.aFast ?? "k";
  const bFast = spec.bFast ?? "n";
  const { name, tm, tn, kt } = chooseGemmTile(spec.M, spec.N, spec.batches, device.softwareAdapter);
  const rm = tm / SIDE; // outputs per invocation along m and n
  const rn = tn / SIDE;
  const aTile = aFast === "k" ? `let ar = idx / ${kt}u; let ac = idx % ${kt}u;` : `let ar = idx % ${tm}u; let ac = idx / ${tm}u;`;
  const bTile = bFast === "n" ? `let br = idx / ${tn}u; let bc = idx % ${tn}u;` : `let br = idx % ${kt}u; let bc = idx / ${kt}u;`;
  for (let base = 0; base < spec.batches; base += maxZ) {
    const params = spec.params().u32("z_base", base);
    device.dispatch({
      op: spec.op,
      key: `gemm${name}:${spec.key}:${aFast}${bFast}`,
      params,
      reads: spec.reads,
      writes: spec.writes,
      workgroups: [Math.ceil(spec.N / tn), Math.ceil(spec.M / tm), Math.min(maxZ, spec.batches - base)],
      args: { ...spec.args, tile: `${tm}x${tn}` },
      wgsl: () =>
        withPrelude(
          [
            params.wgsl(),
            spec.bindings,
            spec.functions,
            `var<workgroup> As: array<array<${s}, ${kt}>, ${tm}>;`,
            `var<workgroup> Bs: array<array<${s}, ${tn}>, ${kt}>;`,
            `@compute @workgroup_size(${SIDE}, ${SIDE}) fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {`,
            "  let M = prm_M(); let N = prm_N(); let K = prm_K();",
            "  let z = prm_z_base() + wid.z;",
            `  let row0 = wid.y * ${tm}u; let col0 = wid.x * ${tn}u;`,
            `  let tid = lid.y * ${SIDE}u + lid.x;`,
            `  var acc: array<array<${s}, ${rn}>, ${rm}>;`,
            `  for (var i = 0u; i < ${rm}u; i++) { for (var j = 0u; j < ${rn}u; j++) { acc[i][j] = ${zero}; } }`,
            `  for (var k0 = 0u; k0 < K; k0 += ${kt}u) {`,
            `    for (var i = 0u; i < ${(tm * kt) / THREADS}u; i++) {`,
            `      let idx = tid + ${THREADS}u * i;`,
            `      ${aTile}`,
            "      let m = row0 + ar; let ka = k0 + ac;",
            `      var av = ${zero};`,
            "      if (m < M && ka < K) { av = load_a(z, m, ka); }",
            "      As[ar][ac] = av;",
            "    }",
            `    for (var i = 0u; i < ${(tn * kt) / THREADS}u; i++) {`,
            `      let idx = tid + ${THREADS}u * i;`,
            `      ${bTile}`,
            "      let kb = k0 + br; let n = col0 + bc;",
            `      var bv = ${zero};`,
            "      if (kb < K && n < N) { bv = load_b(z, kb, n); }",
            "      Bs[br][bc] = bv;",
            "    }",
            "    workgroupBarrier();",
            `    for (var kk = 0u; kk < ${kt}u; kk++) {`,
            `      var av4: array<${s}, ${rm}>;`,
            `      for (var i = 0u; i < ${rm}u; i++) { av4[i] = As[lid.y + ${SIDE}u * i][kk]; }`,
            `      for (var j = 0u; j < ${rn}u; j++) {`,
            `        let bv = Bs[kk][lid.x + ${SIDE}u * j];`,
            `        for (var i = 0u; i < ${rm}u; i++) { acc[i][j] = acc[i][j] + av4[i] * bv; }`,
            "      }",
            "    }",
            "    workgroupBarrier();",
            "  }",
            `  for (var i = 0u; i < ${rm}u; i++) {`,
            `    let m = row0 + lid.y + ${SIDE}u * i;`,
            `    for (var j = 0u; j < ${rn}u; j++) {`,
            `      let n = col0 + lid.x + ${SIDE}u * j;`,
            "      if (m < M && n < N) { store(z, m, n, acc[i][j]); }",
            "    }",
            "  }",
            "}",
          ].join("\n"),
        ),
    });
  }
}
