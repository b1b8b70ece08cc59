import { dtypeBytes, sizeOf, type HostArray } from "@polychip/hal";
import { getDeviceEntry } from "../core/devices.ts";
import { readView } from "../core/dispatch.ts";
import { decodeHost } from "../core/host.ts";
import { viewIsContiguous, type RawView } from "../core/view.ts";
import type { HostOutput } from "./inputs.ts";

/** A device view's values on the host (the view stays the caller's). */
export async function readHost(v: RawView): Promise<HostOutput> {
  return { data: decodeHost(await readView(v), v.dtype, sizeOf(v.shape)) as HostArray, shape: [...v.shape], dtype: v.dtype };
}

/**
 * Reads every output back and releases the views (which the caller hands over). Every read is
 * issued before anything else can run: a plan for host outputs computes them in buffers it keeps,
 * which the next run overwrites (the queue keeps reads in order). On a device whose memory the
 * host sees, with nothing queued, they are all read at once, with no promise per output.
 * `names`: the keys of `views`, each once, in order (undefined when the graph names an output twice).
 */
export function readOutputs(views: Readonly<Record<string, RawView>>, names: readonly string[] | undefined): Promise<Record<string, HostOutput>> {
  if (!names || !readableNow(views, names)) return readEach(views);
  const out: Record<string, HostOutput> = {};
  try {
    for (let k = 0; k < names.length; k++) out[names[k]!] = readHostNow(views[names[k]!]!);
  } finally {
    for (let k = 0; k < names.length; k++) views[names[k]!]!.storage.release();
  }
  return Promise.resolve(out);
}

async function readEach(views: Readonly<Record<string, RawView>>): Promise<Record<string, HostOutput>> {
  const out: Record<string, HostOutput> = {};
  try {
    const reads = Object.entries(views).map(([name, v]) => [name, readHost(v)] as const);
    for (const [name, read] of reads) out[name] = await read;
  } finally {
    for (const v of Object.values(views)) v.storage.release();
  }
  return out;
}

/**
 * Whether each view can be read synchronously now: alive, contiguous, on an idle device with
 * readSync. `names` are the keys of `views`, each once (the graph's outputs, walked as a list).
 */
function readableNow(views: Readonly<Record<string, RawView>>, names: readonly string[]): boolean {
  for (let k = 0; k < names.length; k++) {
    const v = views[names[k]!];
    if (!v || !v.storage.alive || !viewIsContiguous(v)) return false;
    const { device, queue } = getDeviceEntry(v.storage.device);
    if (!device.readSync || queue.busy) return false;
  }
  return true;
}

/** readHost for a view that readableNow accepted, without a promise. */
function readHostNow(v: RawView): HostOutput {
  const n = sizeOf(v.shape);
  const size = dtypeBytes(v.dtype);
  const bytes = n === 0 ? new Uint8Array(0) : getDeviceEntry(v.storage.device).queue.readNow(v.storage.buffer, v.offset * size, n * size)!;
  const data = (v.dtype === "float32" && n <= SMALL && smallFloat32(bytes, n)) || decodeHost(bytes, v.dtype, n);
  return { data: data as HostArray, shape: [...v.shape], dtype: v.dtype };
}

/** Outputs up to this many float32 values are decoded element by element (a class score, a VAD probability). */
const SMALL = 64;
const word = new Int32Array(1);
const wordAsFloat = new Float32Array(word.buffer);

/**
 * Little-endian float32 bytes as a Float32Array, without the typed array over a copied buffer that
 * decodeHost makes (for a few values, making that buffer costs more than reading them). Undefined
 * when a value is a NaN, whose payload a float64 round trip might not keep: decodeHost copies bits.
 */
function smallFloat32(bytes: Uint8Array, n: number): Float32Array | undefined {
  const out = new Float32Array(n);
  for (let i = 0, b = 0; i < n; i++, b += 4) {
    word[0] = bytes[b]! | (bytes[b + 1]! << 8) | (bytes[b + 2]! << 16) | (bytes[b + 3]! << 24);
    const value = wordAsFloat[0]!;
    if (value !== value) return undefined;
    out[i] = value;
  }
  return out;
}
