import { dtypeBytes, formatShape, NonFiniteError, PolychipError } from "@polychip/hal";
import { getDeviceEntry } from "./core/devices.ts";
import { decodeHost } from "./core/host.ts";
import { setOpObserver } from "./core/op-observer.ts";
import type { RawView } from "./core/view.ts";

/** Where a non-finite value first appeared. */
interface Finding {
  readonly sequence: number;
  readonly message: string;
}

const describe = (vs: readonly RawView[]) => vs.map((v) => `${v.dtype}${formatShape(v.shape)}`).join(", ");
const isFloat = (v: RawView) => v.dtype === "float32" || v.dtype === "float16";

/** Index and value of the first NaN or infinity in a float buffer's bytes, if any. */
function firstNonFinite(bytes: Uint8Array, v: RawView): { index: number; value: number } | undefined {
  const values = decodeHost(bytes, v.dtype, Math.floor(bytes.byteLength / dtypeBytes(v.dtype)));
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return { index: i, value: values[i]! };
  return undefined;
}

/** The whole storage behind a view, synchronously when the device allows it (nothing queued), else through its queue. */
function readStorage(v: RawView): Uint8Array | Promise<Uint8Array> {
  const entry = getDeviceEntry(v.storage.device);
  if (v.storage.bytes === 0) return new Uint8Array(0);
  if (entry.device.readSync && !entry.queue.busy) return entry.device.readSync(v.storage.buffer, 0, v.storage.bytes);
  return entry.queue.read(v.storage.buffer, 0, v.storage.bytes);
}

async function scanAll(views: readonly RawView[]): Promise<({ index: number; value: number } | undefined)[]> {
  return Promise.all(views.map(async (v) => (isFloat(v) ? firstNonFinite(await readStorage(v), v) : undefined)));
}

let active = false;

/**
 * Runs `fn` with every op's float outputs checked for NaN and infinity as they are produced (like
 * PyTorch's detect_anomaly; slow, for finding a fault, not for every step). When one is found, the
 * first op in program order that produced a non-finite value is named in a NonFiniteError, with
 * whether its inputs were finite (the op made it) or already non-finite from outside (host data).
 * Forward and backward passes are both covered: gradients are ops too.
 */
export async function detectAnomaly<T>(fn: () => T | Promise<T>): Promise<T> {
  if (active) throw new PolychipError("detectAnomaly: anomaly detection is already active (it cannot be nested)");
  active = true;
  let sequence = 0;
  let first: Finding | undefined;
  const pending: Promise<void>[] = [];
  const check = async (seq: number, op: string, inputs: readonly RawView[], outputs: readonly RawView[]) => {
    const found = await scanAll(outputs);
    const k = found.findIndex((f) => f !== undefined);
    if (k < 0 || (first && first.sequence < seq)) return;
    const out = outputs[k]!;
    const { index, value } = found[k]!;
    const inputFindings = await scanAll(inputs);
    const bad = inputFindings.findIndex((f) => f !== undefined);
    const origin =
      bad < 0
        ? "its inputs were finite"
        : `its input ${bad} (${inputs[bad]!.dtype}${formatShape(inputs[bad]!.shape)}) already held ${inputFindings[bad]!.value} that no checked op produced: it came from outside (host data such as the data set)`;
    const message = `op '${op}' on '${out.storage.device}' produced ${value} at element ${index} of its ${out.dtype}${formatShape(out.shape)} output (inputs ${describe(inputs) || "none"}); ${origin}`;
    if (!first || seq < first.sequence) first = { sequence: seq, message };
  };
  const previous = setOpObserver((op, inputs, outputs) => {
    if (first || !outputs.some(isFloat)) return;
    const seq = sequence++;
    const held = [...inputs, ...outputs].map((v) => v.storage.retain());
    pending.push(check(seq, op, inputs, outputs).finally(() => held.forEach((s) => s.release())));
  });
  let result: T;
  try {
    result = await fn();
  } finally {
    setOpObserver(previous);
    active = false;
    await Promise.allSettled(pending);
  }
  const failures = await Promise.allSettled(pending);
  const readError = failures.find((f) => f.status === "rejected");
  if (first) throw new NonFiniteError(`anomaly detection: ${first.message}`);
  if (readError) throw (readError as PromiseRejectedResult).reason;
  return result;
}
