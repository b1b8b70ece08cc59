import { Worker } from "node:worker_threads";
import { setActivityListener } from "@polychip/engine";
import { formatShape, type KernelCall } from "@polychip/hal";

const LABEL_BYTES = 1024;

/**
 * The watcher runs in its own thread because the thread it watches may be stuck in a kernel that
 * never returns (a synchronous loop no timer can interrupt). When the heartbeat stops for longer
 * than the stall limit, it prints which kernel was running and kills the process: a non-zero exit
 * instead of a hang. SIGKILL, because a stuck event loop never runs a signal handler.
 */
const WATCHER = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const beat = new Int32Array(workerData.shared, 0, 2);
const label = new Uint8Array(workerData.shared, 8, ${LABEL_BYTES});
let seen = Atomics.load(beat, 0);
let since = Date.now();
setInterval(() => {
  const now = Atomics.load(beat, 0);
  if (now !== seen) { seen = now; since = Date.now(); return; }
  const stalled = Date.now() - since;
  if (stalled < workerData.stallMs) return;
  const length = Atomics.load(beat, 1);
  const running = new TextDecoder().decode(label.slice(0, length));
  const what = running
    ? running + " has not returned for " + stalled + " ms: the main thread is stuck in it (a kernel that never finishes)"
    : "the main thread has been blocked for " + stalled + " ms with no kernel running (stuck in synchronous code)";
  writeSync(2, "polychip: DeviceTimeoutError: " + what + "; stopping (limit " + workerData.stallMs + " ms: POLYCHIP_DEVICE_TIMEOUT_MS)\\n");
  process.kill(process.pid, "SIGKILL");
}, Math.min(250, Math.max(20, workerData.stallMs / 10)));
`;

const describe = (device: string, call: KernelCall) =>
  `kernel ${call.op} (inputs ${call.inputs.map((v) => `${v.dtype}${formatShape(v.shape)}`).join(", ") || "none"}) on '${device}'`;

/**
 * Starts the watchdog and resolves once its thread runs (a thread still starting cannot watch a main
 * thread that blocks at once); resolves to a function that stops it. Neither its timer nor its
 * thread keeps the process alive.
 */
export async function startWatchdog(stallMs: number): Promise<() => void> {
  const shared = new SharedArrayBuffer(8 + LABEL_BYTES);
  const beat = new Int32Array(shared, 0, 2);
  const label = new Uint8Array(shared, 8, LABEL_BYTES);
  const encoder = new TextEncoder();
  const heart = setInterval(() => Atomics.add(beat, 0, 1), Math.min(100, Math.max(10, stallMs / 20)));
  heart.unref();
  // Each kernel boundary is a heartbeat too: a run whose awaits all resolve at once (the CPU device)
  // chains microtasks and starves timers for minutes while making progress; only a kernel that
  // never returns stops both.
  const previous = setActivityListener((device, call) => {
    const written = call ? encoder.encodeInto(describe(device, call), label).written : 0;
    Atomics.store(beat, 1, written);
    Atomics.add(beat, 0, 1);
  });
  // execArgv: [] so loader flags of this process (--input-type=module, tsx) do not turn the script into ESM.
  const worker = new Worker(WATCHER, { eval: true, execArgv: [], workerData: { shared, stallMs } });
  await new Promise<void>((resolve, reject) => {
    worker.once("online", resolve);
    worker.once("error", reject);
  });
  worker.on("error", (err) =>
    process.stderr.write(`polychip: warning: the watchdog thread stopped (${err.message}); a kernel that never returns will not be caught\n`),
  );
  worker.unref();
  return () => {
    clearInterval(heart);
    setActivityListener(previous);
    void worker.terminate();
  };
}
