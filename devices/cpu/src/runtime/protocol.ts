/**
 * How the calling thread and the workers share one parallel job, through a control block in the
 * shared WASM memory (Int32 word indices relative to the block):
 *
 * - TICKET (a 64-bit word): job sequence number in the high half, next chunk index in the low half.
 *   A participant claims chunk i of job s by compare-exchanging (s, i) to (s, i + 1); the job
 *   number in the same word makes a claim from a thread that slept through a job change fail
 *   instead of running a chunk with the wrong parameters.
 * - TOTAL[s & 1]: chunk count of job s, double-buffered because a participant reads it before
 *   its claim while the caller may already be writing the next job's count.
 * - DONE: chunks finished (run or failed) in the current job; the caller waits for DONE = TOTAL
 *   before it writes the next job's parameters, so a claimed chunk always sees its own job's.
 * - ERROR / message: the first failure of the job (the worker keeps serving).
 * - FN: the export's index in `names`, or DYNAMIC_FN for a module generated at run time (a fused
 *   program): its bytes lie in the shared memory at DYN_ADDR (DYN_LENGTH bytes), and each worker
 *   compiles it the first time it meets DYN_ID, then keeps the instance (ids are never reused).
 */

export const CONTROL_BYTES = 2048;

/** Int32 word indices. */
export const W = {
  /** 64-bit ticket in words 0-1 (BigInt64 index 0). */
  TICKET_LO: 0,
  TOTAL0: 2,
  TOTAL1: 3,
  DONE: 4,
  ERROR: 5,
  FN: 6,
  ARGC: 7,
  SCRATCH_BASE: 8,
  SCRATCH_STRIDE: 9,
  MESSAGE_LENGTH: 10,
  /** Workers that finished instantiating (diagnostics and tests). */
  READY: 11,
  /** Set while the pool shuts down: idle workers leave their loop. */
  STOP: 12,
  DYN_ID: 13,
  DYN_ADDR: 14,
  DYN_LENGTH: 15,
} as const;

/** FN of a job that runs a module generated at run time, whose one export is DYNAMIC_EXPORT. */
export const DYNAMIC_FN = -1;
export const DYNAMIC_EXPORT = "run";
/** Generated modules a worker keeps instantiated before it starts over. */
export const DYNAMIC_CACHE = 256;

/** Job arguments as float64 (exact for every i32 and f32), at this byte offset. */
export const ARGS_BYTE_OFFSET = 64;
export const MAX_ARGS = 40;
export const MESSAGE_BYTE_OFFSET = ARGS_BYTE_OFFSET + MAX_ARGS * 8;
export const MESSAGE_MAX_BYTES = CONTROL_BYTES - MESSAGE_BYTE_OFFSET;

/**
 * The worker program, as source so it runs unchanged in a Node worker (eval) and a browser Web
 * Worker (blob URL) without a bundler or loader. It only instantiates the module on the shared
 * memory and serves chunks; all computation is in WebAssembly.
 */
export const WORKER_SOURCE = `
"use strict";
const W = ${JSON.stringify(W)};
const ARGS_BYTE_OFFSET = ${ARGS_BYTE_OFFSET}, MAX_ARGS = ${MAX_ARGS};
const MESSAGE_BYTE_OFFSET = ${MESSAGE_BYTE_OFFSET}, MESSAGE_MAX_BYTES = ${MESSAGE_MAX_BYTES};
const SPIN = 1000;
const DYNAMIC_FN = ${DYNAMIC_FN}, DYNAMIC_EXPORT = ${JSON.stringify(DYNAMIC_EXPORT)}, DYNAMIC_CACHE = ${DYNAMIC_CACHE};

function serve(init, reply) {
  const { module, memory, control, index, names } = init;
  let fns;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    fns = names.map((n) => instance.exports[n]);
  } catch (err) {
    reply({ type: "failed", message: String(err && err.message || err) });
    return;
  }
  const ctl = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
  const ticket = new BigInt64Array(memory.buffer, control, 1);
  const args = new Float64Array(memory.buffer, control + ARGS_BYTE_OFFSET, MAX_ARGS);
  const bytes = new Uint8Array(memory.buffer, control + MESSAGE_BYTE_OFFSET, MESSAGE_MAX_BYTES);
  const encoder = new TextEncoder();
  Atomics.add(ctl, W.READY, 1);
  reply({ type: "ready" });
  const call = [];
  const dynamic = new Map();
  /** The export of the job's generated module, compiled from its bytes in the shared memory on first use. */
  const dynamicFn = () => {
    const id = ctl[W.DYN_ID];
    let f = dynamic.get(id);
    if (!f) {
      // slice: a private copy, since a module is not compiled from shared bytes everywhere.
      const bytes = new Uint8Array(memory.buffer, ctl[W.DYN_ADDR], ctl[W.DYN_LENGTH]).slice();
      f = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports[DYNAMIC_EXPORT];
      if (dynamic.size >= DYNAMIC_CACHE) dynamic.clear();
      dynamic.set(id, f);
    }
    return f;
  };
  for (;;) {
    const t = Atomics.load(ticket, 0);
    const seq = Number(t >> 32n);
    const next = Number(t & 0xffffffffn);
    if (next < Atomics.load(ctl, W.TOTAL0 + (seq & 1))) {
      if (Atomics.compareExchange(ticket, 0, t, t + 1n) !== t) continue;
      // The chunk is ours: the job's parameters stay put until we count it done.
      const argc = ctl[W.ARGC];
      call.length = argc + 3;
      for (let i = 0; i < argc; i++) call[i] = args[i];
      call[argc] = next;
      call[argc + 1] = next + 1;
      call[argc + 2] = ctl[W.SCRATCH_BASE] + index * ctl[W.SCRATCH_STRIDE];
      try {
        const fn = ctl[W.FN];
        (fn === DYNAMIC_FN ? dynamicFn() : fns[fn])(...call);
      } catch (err) {
        if (Atomics.compareExchange(ctl, W.ERROR, 0, index + 1) === 0) {
          const text = encoder.encode("worker " + index + ": " + String(err && err.message || err)).subarray(0, MESSAGE_MAX_BYTES);
          bytes.set(text);
          ctl[W.MESSAGE_LENGTH] = text.length;
        }
      }
      Atomics.add(ctl, W.DONE, 1);
      Atomics.notify(ctl, W.DONE);
      continue;
    }
    if (Atomics.load(ctl, W.STOP)) return;
    let changed = false;
    for (let i = 0; i < SPIN; i++) {
      if (Atomics.load(ticket, 0) !== t) { changed = true; break; }
    }
    if (!changed) Atomics.wait(ticket, 0, t);
  }
}

if (typeof process !== "undefined" && process.versions && process.versions.node) {
  const { parentPort } = require("node:worker_threads");
  parentPort.once("message", (init) => serve(init, (m) => parentPort.postMessage(m)));
} else {
  self.onmessage = (e) => { self.onmessage = null; serve(e.data, (m) => self.postMessage(m)); };
}
`;
