import { DeviceError, DTypeError, dtypeBytes, formatShape, isDType, PolychipError, ShapeError, sizeOf, type DType, type HostArray } from "@polychip/hal";
import { getDeviceEntry } from "../core/devices.ts";
import { fromHost, shareView } from "../core/dispatch.ts";
import { encodeHost } from "../core/host.ts";
import type { RawView } from "../core/view.ts";
import type { Graph, ValueInfo } from "../graph/ir.ts";

/** Values on the host: row-major data plus its shape (and dtype, defaulting to the model's). */
export interface HostTensor {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly dtype?: DType;
}

/** What `session.run` returns per output: values read back from the device. */
export interface HostOutput {
  readonly data: HostArray;
  readonly shape: number[];
  readonly dtype: DType;
}

export type RuntimeInput = RawView | HostTensor;

export function isRawView(v: unknown): v is RawView {
  return typeof v === "object" && v !== null && "storage" in v && "strides" in v;
}

const describeInfo = (v: ValueInfo) => `${v.dtype}[${v.shape.join(", ")}]`;

/**
 * Checks every input against the graph's declaration before anything is uploaded: names, dtypes,
 * ranks, concrete dims, and symbolic dims bound consistently across inputs ("batch" is one number).
 * Returns the symbol bindings.
 */
export function checkInputs(graph: Graph, inputs: Readonly<Record<string, RuntimeInput>>): Map<string, number> {
  for (const name in inputs) {
    if (!graph.inputs.some((v) => v.name === name))
      throw new PolychipError(`model '${graph.name}': unknown input '${name}'; the model's inputs are ${inputList(graph)}`);
  }
  // Plain loops and no closures: this runs on every run, and a small model's run is tens of microseconds.
  let bound: Map<string, { value: number; by: string }> | undefined;
  for (const info of graph.inputs) {
    const given = inputs[info.name];
    if (given === undefined || given === null)
      throw new PolychipError(
        `model '${graph.name}': missing input '${info.name}' (expected ${describeInfo(info)}); the model's inputs are ${inputList(graph)}`,
      );
    const dtype = isRawView(given) ? given.dtype : (given.dtype ?? info.dtype);
    const shape = given.shape;
    if (!isDType(dtype)) throw new DTypeError(`input '${info.name}': unknown dtype ${JSON.stringify(dtype)}`);
    if (dtype !== info.dtype)
      throw new DTypeError(`input '${info.name}': expected dtype ${info.dtype} (${describeInfo(info)}), got ${dtype}${formatShape(shape)}`);
    if (!Array.isArray(shape) || shape.length !== info.shape.length || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(
        `input '${info.name}': expected shape [${info.shape.join(", ")}] (rank ${info.shape.length}), got ${Array.isArray(shape) ? formatShape(shape) : JSON.stringify(shape)}`,
      );
    }
    for (let i = 0; i < info.shape.length; i++) {
      const want = info.shape[i]!;
      const got = shape[i]!;
      if (typeof want === "number") {
        if (want !== got)
          throw new ShapeError(`input '${info.name}': dim ${i} must be ${want} (expected [${info.shape.join(", ")}]), got ${formatShape(shape)}`);
        continue;
      }
      bound ??= new Map();
      const prior = bound.get(want);
      if (prior && prior.value !== got) {
        throw new ShapeError(
          `input '${info.name}': dim ${i} ('${want}') is ${got}, but input '${prior.by}' set '${want}' to ${prior.value} (got ${formatShape(shape)})`,
        );
      }
      bound.set(want, { value: got, by: info.name });
    }
    if (!isRawView(given)) {
      const data = given.data;
      if (!data || typeof data.length !== "number") throw new ShapeError(`input '${info.name}': 'data' must be an array or typed array`);
      if (data.length !== sizeOf(shape))
        throw new ShapeError(`input '${info.name}': ${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
    }
  }
  const bindings = new Map<string, number>();
  if (bound) for (const [k, v] of bound) bindings.set(k, v.value);
  return bindings;
}

/** The model's inputs, for messages. */
function inputList(graph: Graph): string {
  return graph.inputs.map((v) => `'${v.name}' ${describeInfo(v)}`).join(", ");
}

/** Puts an input on the session's device; the returned view holds its own reference. */
export function placeInput(info: ValueInfo, given: RuntimeInput, device: string): RawView {
  const name = info.name;
  if (isRawView(given)) {
    if (given.storage.device !== device) {
      throw new DeviceError(`input '${name}' is on '${given.storage.device}' but the session runs on '${device}'; move it there or pass host data`);
    }
    return shareView(given, given);
  }
  return fromHost(given.data, given.shape, given.dtype ?? info.dtype, device);
}

/** Writes an input's host values into `into` (a contiguous view of the same shape and dtype, on the session's device). */
export function writeInput(info: ValueInfo, given: HostTensor, into: RawView): void {
  const entry = getDeviceEntry(into.storage.device);
  const bytes = encodeHost(given.data, given.dtype ?? info.dtype);
  if (bytes.byteLength > 0) entry.queue.submit(() => entry.device.write(into.storage.buffer, bytes, into.offset * dtypeBytes(into.dtype)));
}
