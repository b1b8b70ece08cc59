/**
 * WebAssembly loops for training batch norm over a contiguous float32 [N, C, S] tensor, one
 * generated module per loop. Work is split by channel (chunk c is channel c), so each thread owns
 * whole channels and the per-channel sums need no merging.
 *
 * - stats:      Σ(x - k), Σ(x - k)² per channel (k: a value of the channel, so a large mean does not cancel)
 * - normalise:  y = (x - mean)·a + b
 * - normaliseRelu: y = relu((x - mean)·a + b), as the relu kernel rounds it (max with +0: NaN stays NaN, -0 becomes +0)
 * - gradSums:   Σg, Σg·(x - mean) per channel
 * - gradInput:  dx = g·a + (x - mean)·b + k
 * - gradSumsRelu, gradInputRelu: the same with g zeroed where the forward's relu was, recomputed as
 *   (x - mean)·s + t > 0 with the forward's own s (scale) and t (bias), so the same booleans
 * Per-channel inputs are float32 [C]; sums are written as float64 pairs [C][2], made of float32
 * partial sums over blocks of a line (see BLOCK_BYTES).
 */
import type { Code, FunctionBuilder } from "../wasm/encoder.ts";
import { ModuleBuilder } from "../wasm/encoder.ts";
import { defineFunction, i32Params, locals } from "../wasm/define.ts";
import { f32, f32x4, f64, f64x2, get, i32, inc, lanes32, select, set, v128, whileLoop } from "../wasm/instructions.ts";

export type BatchNormLoop = "stats" | "normalise" | "normaliseRelu" | "gradSums" | "gradInput" | "gradSumsRelu" | "gradInputRelu";

/** Pointer parameters of each loop, in order: full tensors first, then per-channel vectors, then the sums. */
export const LOOP_POINTERS: Readonly<Record<BatchNormLoop, readonly string[]>> = {
  stats: ["x", "k", "sums"],
  normalise: ["x", "y", "mean", "a", "b"],
  normaliseRelu: ["x", "y", "mean", "a", "b"],
  gradSums: ["g", "x", "mean", "sums"],
  gradInput: ["g", "x", "dx", "mean", "a", "b", "k"],
  gradSumsRelu: ["g", "x", "mean", "s", "t", "sums"],
  gradInputRelu: ["g", "x", "dx", "mean", "a", "b", "k", "s", "t"],
};

/** The per-channel f32 inputs of a loop (mean, a, b, k), each as a local splatted to four lanes and as a scalar. */
interface Lanes {
  readonly vec: Record<string, number>;
  readonly sca: Record<string, number>;
}

/**
 * A loop's per-channel setup and finish, and its step over 4 elements (vector) and 1 (scalar) at
 * byte offset `o` of every tensor. A summing loop also gives `vector2`, the same step at offset
 * `o2` into a second set of partial sums: with one set, each step waited for the last one's adds
 * (their latency, not the memory, bounded the loop); two sets let consecutive steps overlap.
 */
type Body = (
  fn: FunctionBuilder,
  p: Record<string, number>,
  o: number,
  lanes: Lanes,
  o2: number,
) => { setup: Code; vector: Code; vector2?: Code; scalar: Code; finish: Code; startBlock?: Code; endBlock?: Code };

const load64 = (addr: Code): Code => f64.promote_f32(f32.load(addr));
const high = (t: number): Code => v128.shuffle(get(t), get(t), lanes32(2, 3, 2, 3));

/**
 * Lines are summed in blocks of at most BLOCK elements into float32x4 partial sums, each block's
 * then added into float64 (two f64x2 accumulators and two f64 scalars for the tail). Promoting
 * every element to float64 cost ~10 vector instructions per 4 elements against ~4 this way, and a
 * block of 1024 shifted values keeps float32's rounding near 1e-6 of the block's magnitude.
 */
const BLOCK_BYTES = 1024 * 4;

/**
 * The accumulators of one loop: two sets of float32x4 block partials ((f1, f2) for `vector`, (h1,
 * h2) for `vector2`), float64 totals, reset per channel and stored as sums[c] = (first, second).
 */
function accumulators(fn: FunctionBuilder, p: Record<string, number>) {
  const [v1, v2, f1, f2, h1, h2] = locals(fn, "v128", 6);
  const [s1, s2] = locals(fn, "f64", 2);
  const zero = f64x2.splat(f64.const(0));
  const zero32 = f32x4.splat(f32.const(0));
  const total = (v: number, s: number): Code => f64.add(f64.add(f64x2.extractLane(get(v), 0), f64x2.extractLane(get(v), 1)), get(s));
  const widen = (f: number): Code => f64x2.add(f64x2.promote_low_f32x4(get(f)), f64x2.promote_low_f32x4(high(f)));
  const at = i32.add(get(p.sums!), i32.shl(get(p.c!), i32.const(4)));
  return {
    f1,
    f2,
    h1,
    h2,
    s1,
    s2,
    setup: [set(v1, zero), set(v2, zero), set(s1, f64.const(0)), set(s2, f64.const(0))] as Code,
    startBlock: [set(f1, zero32), set(f2, zero32), set(h1, zero32), set(h2, zero32)] as Code,
    endBlock: [set(v1, f64x2.add(get(v1), f64x2.add(widen(f1), widen(h1)))), set(v2, f64x2.add(get(v2), f64x2.add(widen(f2), widen(h2))))] as Code,
    finish: [f64.store(at, total(v1, s1)), f64.store(at, total(v2, s2), 8)] as Code,
  };
}

/**
 * IEEE max(v, +0) per lane as the relu kernel rounds it, in two instructions: pmax (v < 0 ? 0 : v)
 * keeps NaN and -0, and adding +0 turns -0 into +0 and changes nothing else. f32x4.max, which
 * gives the same lanes, costs several instructions on x86 and slowed the loop by a third.
 */
const reluVector = (v: Code): Code => f32x4.add(f32x4.pmax(v, f32x4.splat(f32.const(0))), f32x4.splat(f32.const(0)));

/** y = (x - mean)·a + b, and with `relu` its maximum with +0 (IEEE max: NaN propagates, -0 < +0). */
function normaliseBody(relu: boolean): Body {
  return (_fn, p, o, { vec, sca }) => {
    const x = i32.add(get(p.x!), get(o));
    const y = i32.add(get(p.y!), get(o));
    const vector = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x), get(vec.mean!)), get(vec.a!)), get(vec.b!));
    const scalar = f32.add(f32.mul(f32.sub(f32.load(x), get(sca.mean!)), get(sca.a!)), get(sca.b!));
    return {
      setup: [],
      vector: v128.store(y, relu ? reluVector(vector) : vector),
      scalar: f32.store(y, relu ? f32.max(scalar, f32.const(0)) : scalar),
      finish: [],
    };
  };
}

/**
 * g, zeroed with `relu` where the forward's relu was: (x - mean)·s + t > 0 computed as the
 * normalise loop computes y (NaN is not above 0, as relu's mask). `centred` is x - mean.
 */
function maskedG(relu: boolean, g: Code, centred: Code, { vec }: Lanes): Code {
  if (!relu) return g;
  const y = f32x4.add(f32x4.mul(centred, get(vec.s!)), get(vec.t!));
  return v128.and(g, f32x4.gt(y, f32x4.splat(f32.const(0))));
}

function maskedGScalar(relu: boolean, g: Code, centred: Code, { sca }: Lanes): Code {
  if (!relu) return g;
  const y = f32.add(f32.mul(centred, get(sca.s!)), get(sca.t!));
  return select(g, f32.const(0), f32.gt(y, f32.const(0)));
}

/** Σg and Σg·(x - mean) per channel (g masked with `relu`). */
function gradSumsBody(relu: boolean): Body {
  return (fn, p, o, lanes, o2) => {
    const { vec, sca } = lanes;
    const acc = accumulators(fn, p);
    const [g, d] = locals(fn, "v128", 2);
    const [gs, ds] = locals(fn, "f32", 2);
    const step = (at: number, first: number, second: number): Code => [
      set(d, f32x4.sub(v128.load(i32.add(get(p.x!), get(at))), get(vec.mean!))),
      set(g, maskedG(relu, v128.load(i32.add(get(p.g!), get(at))), get(d), lanes)),
      set(first, f32x4.add(get(first), get(g))),
      set(second, f32x4.add(get(second), f32x4.mul(get(g), get(d)))),
    ];
    return {
      setup: acc.setup,
      startBlock: acc.startBlock,
      vector: step(o, acc.f1, acc.f2),
      vector2: step(o2, acc.h1, acc.h2),
      endBlock: acc.endBlock,
      scalar: [
        set(ds, f32.sub(f32.load(i32.add(get(p.x!), get(o))), get(sca.mean!))),
        set(gs, maskedGScalar(relu, f32.load(i32.add(get(p.g!), get(o))), get(ds), lanes)),
        set(acc.s1, f64.add(get(acc.s1), f64.promote_f32(get(gs)))),
        set(acc.s2, f64.add(get(acc.s2), f64.mul(f64.promote_f32(get(gs)), f64.promote_f32(get(ds))))),
      ],
      finish: acc.finish,
    };
  };
}

/** dx = g·a + (x - mean)·b + k (g masked with `relu`); dx may be g's or x's buffer: each element is read before it is written. */
function gradInputBody(relu: boolean): Body {
  return (fn, p, o, lanes) => {
    const { vec, sca } = lanes;
    const g = i32.add(get(p.g!), get(o));
    const x = i32.add(get(p.x!), get(o));
    const dx = i32.add(get(p.dx!), get(o));
    const d = fn.local("v128");
    const ds = fn.local("f32");
    return {
      setup: [],
      vector: [
        set(d, f32x4.sub(v128.load(x), get(vec.mean!))),
        v128.store(dx, f32x4.add(f32x4.add(f32x4.mul(maskedG(relu, v128.load(g), get(d), lanes), get(vec.a!)), f32x4.mul(get(d), get(vec.b!))), get(vec.k!))),
      ],
      scalar: [
        set(ds, f32.sub(f32.load(x), get(sca.mean!))),
        f32.store(dx, f32.add(f32.add(f32.mul(maskedGScalar(relu, f32.load(g), get(ds), lanes), get(sca.a!)), f32.mul(get(ds), get(sca.b!))), get(sca.k!))),
      ],
      finish: [],
    };
  };
}

const BODIES: Record<BatchNormLoop, Body> = {
  stats(fn, p, o, _lanes, o2) {
    const acc = accumulators(fn, p);
    const d = fn.local("v128");
    const [ds] = locals(fn, "f64", 1);
    const kk = fn.local("v128");
    const ks = fn.local("f32");
    const step = (at: number, first: number, second: number): Code => [
      set(d, f32x4.sub(v128.load(i32.add(get(p.x!), get(at))), get(kk))),
      set(first, f32x4.add(get(first), get(d))),
      set(second, f32x4.add(get(second), f32x4.mul(get(d), get(d)))),
    ];
    return {
      setup: [acc.setup, set(ks, f32.load(i32.add(get(p.k!), i32.shl(get(p.c!), i32.const(2))))), set(kk, f32x4.splat(get(ks)))],
      startBlock: acc.startBlock,
      vector: step(o, acc.f1, acc.f2),
      vector2: step(o2, acc.h1, acc.h2),
      endBlock: acc.endBlock,
      scalar: [
        set(ds, f64.sub(load64(i32.add(get(p.x!), get(o))), f64.promote_f32(get(ks)))),
        set(acc.s1, f64.add(get(acc.s1), get(ds))),
        set(acc.s2, f64.add(get(acc.s2), f64.mul(get(ds), get(ds)))),
      ],
      finish: acc.finish,
    };
  },
  normalise: normaliseBody(false),
  normaliseRelu: normaliseBody(true),
  gradSums: gradSumsBody(false),
  gradInput: gradInputBody(false),
  gradSumsRelu: gradSumsBody(true),
  gradInputRelu: gradInputBody(true),
};

/** Per-channel f32 vectors a loop reads element c of (not the sums it writes). */
const channelInputs = (loop: BatchNormLoop) =>
  LOOP_POINTERS[loop].filter((n) => ["mean", "a", "b", "k", "s", "t"].includes(n) && !(loop === "stats" && n === "k"));

/** The module of one loop: export `run(pointers.., N, C, S, chunk0, chunk1, scratch)`. */
export function batchNormModuleBytes(loop: BatchNormLoop, shared: boolean): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 65536, shared });
  defineFunction(mod, "run", { params: i32Params(...LOOP_POINTERS[loop], "N", "C", "S", "chunk0", "chunk1", "scratch") }, (params, fn) => {
    const p = { ...(params as Record<string, number>) };
    const [c, n, o, o2, end, vend, lineBytes, blockEnd] = locals(fn, "i32", 8);
    p.c = c;
    const lanes: Lanes = { vec: {}, sca: {} };
    for (const name of channelInputs(loop)) {
      lanes.vec[name] = fn.local("v128");
      lanes.sca[name] = fn.local("f32");
    }
    const body = BODIES[loop](fn, p, o, lanes, o2);
    const loadChannel = channelInputs(loop).map((name) => [
      set(lanes.sca[name]!, f32.load(i32.add(get(p[name]!), i32.shl(get(c), i32.const(2))))),
      set(lanes.vec[name]!, f32x4.splat(get(lanes.sca[name]!))),
    ]);
    return [
      set(lineBytes, i32.shl(get(p.S!), i32.const(2))),
      set(c, get(p.chunk0!)),
      whileLoop(
        i32.lt_s(get(c), get(p.chunk1!)),
        loadChannel,
        body.setup,
        set(n, i32.const(0)),
        whileLoop(
          i32.lt_s(get(n), get(p.N!)),
          // Line (n, c) starts (n·C + c)·S elements in; the same offset in every tensor.
          set(o, i32.mul(i32.add(i32.mul(get(n), get(p.C!)), get(c)), get(lineBytes))),
          set(end, i32.add(get(o), get(lineBytes))),
          set(vend, i32.add(get(o), i32.and(get(lineBytes), i32.const(~15)))),
          whileLoop(
            i32.lt_u(get(o), get(vend)),
            // Byte offsets may pass 2³¹ in a 4 GiB memory: compared unsigned.
            set(blockEnd, i32.add(get(o), i32.const(BLOCK_BYTES))),
            set(blockEnd, select(get(blockEnd), get(vend), i32.lt_u(get(blockEnd), get(vend)))),
            body.startBlock ?? [],
            // Two steps at a time into the two sets of partial sums, then the block's odd step.
            body.vector2
              ? whileLoop(
                  i32.lt_u(i32.add(get(o), i32.const(16)), get(blockEnd)),
                  set(o2, i32.add(get(o), i32.const(16))),
                  body.vector,
                  body.vector2,
                  inc(o, 32),
                )
              : [],
            whileLoop(i32.lt_u(get(o), get(blockEnd)), body.vector, inc(o, 16)),
            body.endBlock ?? [],
          ),
          whileLoop(i32.lt_u(get(o), get(end)), body.scalar, inc(o, 4)),
          inc(n, 1),
        ),
        body.finish,
        inc(c, 1),
      ),
    ];
  });
  return mod.encode();
}
