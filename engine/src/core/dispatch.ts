import {
  contiguousStrides,
  describeTensors,
  dtypeBytes,
  ELEMENTWISE_FAMILIES,
  formatShape,
  getOp,
  KernelError,
  PolychipError,
  ShapeError,
  sizeOf,
  DeviceError,
  OutOfMemoryError,
  type Attrs,
  type DecompositionContext,
  type DType,
  type KernelCall,
  type OpDef,
  type Shape,
  type TensorMeta,
} from "@polychip/hal";
import { fallbackTarget, findKernel, getDeviceEntry, isLastResort, type DeviceEntry } from "./devices.ts";
import { noteFallback } from "./fallback.ts";
import { activeLazyRecorder } from "./lazy-hook.ts";
import { launchOrigin } from "./launch-origin.ts";
import { observeOp } from "./op-observer.ts";
import { encodeHost } from "./host.ts";
import { profiler } from "./profiler.ts";
import { Storage } from "./storage.ts";
import { toKernelView, viewIsContiguous, type RawView } from "./view.ts";

const describe = describeTensors;

export function allocate(entry: DeviceEntry, dtype: DType, shape: Shape): RawView {
  const bytes = sizeOf(shape) * dtypeBytes(dtype);
  const { maxBufferBytes } = entry.device.capabilities.limits;
  if (bytes > maxBufferBytes) {
    throw new OutOfMemoryError(
      `cannot allocate ${dtype}${formatShape(shape)} (${bytes} bytes) on '${entry.name}': its largest buffer is ${maxBufferBytes} bytes`,
    );
  }
  const buffer = entry.device.alloc(Math.max(bytes, 4));
  const storage = new Storage(entry.name, buffer, bytes, (b) => entry.queue.submit(() => entry.device.free(b)));
  return { storage, dtype, shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
}

/** A new contiguous tensor on `device` holding host values. */
export function fromHost(values: ArrayLike<number>, shape: Shape, dtype: DType, device?: string): RawView {
  const entry = getDeviceEntry(device);
  if (values.length !== sizeOf(shape)) throw new ShapeError(`tensor: ${values.length} values do not fill shape ${formatShape(shape)}`);
  const out = allocate(entry, dtype, shape);
  const bytes = encodeHost(values, dtype);
  if (bytes.byteLength > 0) entry.queue.submit(() => entry.device.write(out.storage.buffer, bytes, 0));
  return out;
}

/** A view sharing `v`'s storage (one more reference). */
export function shareView(v: RawView, change: Pick<RawView, "shape" | "strides" | "offset">): RawView {
  return { storage: v.storage.retain(), dtype: v.dtype, shape: [...change.shape], strides: [...change.strides], offset: change.offset };
}

/** Reads a view's values (any strides) back to the host, in row-major order. */
export async function readView(v: RawView): Promise<Uint8Array> {
  if (!v.storage.alive) throw new DeviceError("read: the tensor's memory was freed");
  const entry = getDeviceEntry(v.storage.device);
  const contiguous = viewIsContiguous(v) ? v : runOp("copy", [v])[0]!;
  try {
    const n = sizeOf(contiguous.shape) * dtypeBytes(contiguous.dtype);
    if (n === 0) return new Uint8Array(0);
    return await entry.queue.read(contiguous.storage.buffer, contiguous.offset * dtypeBytes(contiguous.dtype), n, contiguous); // names shape/dtype on timeout
  } finally {
    if (contiguous !== v) contiguous.storage.release();
  }
}

/**
 * Runs one HAL op on the inputs' device and returns new views that each own one reference.
 * Order of preference: the device's kernel; for a composite without one, its reference
 * decomposition on the same device; otherwise the CPU kernel (a counted, reported fallback).
 */
export function runOp(op: string, inputs: readonly RawView[], attrs: Attrs = {}, device?: string): RawView[] {
  const lazy = activeLazyRecorder();
  if (lazy) return lazy.runOp(op, inputs, attrs, device);
  // Hook for anomaly detection (core/op-observer.ts): every op's outputs, as produced.
  const outputs = dispatchOp(op, inputs, attrs, device);
  observeOp(op, inputs, outputs);
  return outputs;
}

function dispatchOp(op: string, inputs: readonly RawView[], attrs: Attrs, device?: string): RawView[] {
  const def = getOp(op);
  if (inputs.length < def.inputs[0] || inputs.length > def.inputs[1]) {
    throw new ShapeError(
      `${op}: expects ${def.inputs[0] === def.inputs[1] ? def.inputs[0] : `${def.inputs[0]}–${def.inputs[1]}`} inputs, got ${inputs.length}`,
    );
  }
  for (const v of inputs) {
    if (!v.storage.alive) throw new DeviceError(`${op}: an input tensor was disposed (inputs ${describe(inputs)})`);
  }
  const deviceName = inputs[0]?.storage.device ?? device;
  const entry = getDeviceEntry(deviceName);
  const other = inputs.find((v) => v.storage.device !== entry.name);
  if (other) throw new DeviceError(`${op}: inputs are on different devices (${entry.name} and ${other.storage.device}); move them with .to()`);
  const metas = def.infer(inputs, attrs);
  const dtype = inputs[0]?.dtype ?? metas[0]!.dtype;
  const reg = findKernel(entry, op, dtype);
  const tooLarge = reg && bindingTooLarge(entry, inputs, metas);
  if (reg && !tooLarge) return launch(entry, def, reg.kernel, inputs, attrs, metas);
  if (tooLarge) return fallbackToCpu(entry, op, inputs, attrs, metas, tooLarge);
  if (def.decompose) return decompose(entry, def, inputs, attrs);
  const reason = entry.device.capabilities.dtypes.includes(dtype) ? `no ${op} kernel` : `dtype ${dtype} not supported`;
  return fallbackToCpu(entry, op, inputs, attrs, metas, reason);
}

/** The device's per-kernel binding limit (WebGPU maxStorageBufferBindingSize) planned around, not crashed into. */
function bindingTooLarge(entry: DeviceEntry, inputs: readonly RawView[], metas: TensorMeta[]): string | undefined {
  return bindingTooLargeFor(
    entry,
    inputs.map((v) => v.storage.bytes),
    metas,
  );
}

/** bindingTooLarge for inputs known by their storages' sizes (a session plans its launches ahead). */
export function bindingTooLargeFor(entry: DeviceEntry, inputBytes: readonly number[], metas: readonly TensorMeta[]): string | undefined {
  const limit = entry.device.capabilities.limits.maxBindingBytes;
  if (!limit) return undefined;
  const sizes = [...inputBytes, ...metas.map((m) => sizeOf(m.shape) * dtypeBytes(m.dtype))];
  const biggest = Math.max(0, ...sizes);
  return biggest > limit ? `a ${biggest}-byte binding exceeds the device's ${limit}-byte limit` : undefined;
}

/** Whether `def`'s kernel on this device takes only contiguous inputs (strided ones are copied first). */
export function needsContiguous(entry: DeviceEntry, def: OpDef): boolean {
  return !ELEMENTWISE_FAMILIES.includes(def.family) && !entry.device.capabilities.features.includes("strided-inputs");
}

function launch(entry: DeviceEntry, def: OpDef, kernel: any, inputs: readonly RawView[], attrs: Attrs, metas: TensorMeta[]): RawView[] {
  const prepared = needsContiguous(entry, def) ? inputs.map((v) => (viewIsContiguous(v) ? v : runOp("copy", [v])[0]!)) : inputs;
  const outputs = metas.map((m) => allocate(entry, m.dtype, m.shape));
  const call: KernelCall = { op: def.name, inputs: prepared.map(toKernelView), outputs: outputs.map(toKernelView), attrs, origin: launchOrigin() };
  const release = () => prepared.forEach((v, i) => v !== inputs[i] && v.storage.release());
  if (metas.every((m) => sizeOf(m.shape) === 0) && def.family !== "index") {
    release();
    return outputs;
  }
  try {
    entry.queue.submit(() => entry.device.launch(kernel, call), call); // call: named by deadlines and the watchdog
  } catch (err) {
    outputs.forEach((o) => o.storage.release());
    release();
    if (err instanceof PolychipError && isLastResort(entry)) throw err;
    const message = `${entry.plugin.name === entry.name ? "" : `plugin ${entry.plugin.name}: `}kernel ${def.name} on '${entry.name}' failed for inputs ${describe(inputs)} (attrs ${JSON.stringify(attrs)}): ${(err as Error)?.message ?? err}`;
    if (!isLastResort(entry)) {
      try {
        return fallbackToCpu(entry, def.name, inputs, attrs, metas, `its kernel threw: ${(err as Error)?.message ?? err}`);
      } catch (fallbackErr) {
        if (!(fallbackErr instanceof PolychipError) || fallbackErr.name !== "UnsupportedOpError") throw fallbackErr;
      }
    }
    throw new KernelError(message, err);
  }
  release();
  return outputs;
}

/**
 * Runs `op` on the device's own kernel writing into `outputs` (memory a plan chose, such as an
 * input's buffer for an in-place update). Returns false, having done nothing, when the call would
 * not go straight to a kernel (no kernel, a decomposition, a fallback, contiguous copies needed):
 * the caller then uses runOp. A kernel error is raised as is: the outputs may be half written.
 */
export function launchInto(op: string, inputs: readonly RawView[], attrs: Attrs, outputs: readonly RawView[]): boolean {
  const def = getOp(op);
  const entry = getDeviceEntry(inputs[0]?.storage.device);
  const reg = inputs[0] && findKernel(entry, op, inputs[0].dtype);
  if (!reg || needsContiguous(entry, def) || inputs.some((v) => v.storage.device !== entry.name)) return false;
  const metas = def.infer(inputs, attrs);
  if (bindingTooLarge(entry, inputs, metas)) return false;
  metas.forEach((m, i) => {
    const o = outputs[i];
    if (!o || o.dtype !== m.dtype || formatShape(o.shape) !== formatShape(m.shape)) {
      throw new ShapeError(`${op}: planned output ${i} is ${o ? describe([o]) : "missing"}, the op makes ${describe([m])}`);
    }
  });
  const call: KernelCall = { op, inputs: inputs.map(toKernelView), outputs: outputs.map(toKernelView), attrs, origin: launchOrigin() };
  try {
    entry.queue.submit(() => entry.device.launch(reg.kernel, call), call);
  } catch (err) {
    if (err instanceof PolychipError) throw err;
    throw new KernelError(`kernel ${op} on '${entry.name}' failed for inputs ${describe(inputs)}: ${(err as Error)?.message ?? err}`, err);
  }
  return true;
}

/** Runs a composite through its reference decomposition, freeing every intermediate. */
function decompose(entry: DeviceEntry, def: OpDef, inputs: readonly RawView[], attrs: Attrs): RawView[] {
  const temps: RawView[] = [];
  const track = (v: RawView) => (temps.push(v), v);
  const ctx: DecompositionContext<RawView> = {
    meta: (v) => ({ shape: v.shape, dtype: v.dtype }),
    call: (op, ins, a) => track(runOp(op, ins, a ?? {}, entry.name)[0]!),
    constant: (values, shape, dtype) => track(fromHost(values, shape, dtype, entry.name)),
    reshape: (v, shape) => {
      const base = viewIsContiguous(v) ? v : track(runOp("copy", [v])[0]!);
      return track(shareView(base, { shape, strides: contiguousStrides(shape), offset: base.offset }));
    },
    view: (v, shape, strides, offset) => track(shareView(v, { shape, strides, offset: v.offset + offset })),
    copyInto: (dst, region, src) => {
      const target: RawView = { storage: dst.storage, dtype: dst.dtype, shape: region.shape, strides: region.strides, offset: dst.offset + region.offset };
      copyInto(entry, src, target);
    },
  };
  const outs = def.decompose!(ctx, inputs, attrs);
  const results = outs.map((o) => (temps.includes(o) ? o : shareView(o, o)));
  for (const t of temps) if (!results.includes(t)) t.storage.release();
  return results;
}

/** Copies `src` into the (possibly strided) region `dst` of an existing buffer; without a copy kernel, through the CPU like any other op. */
export function copyInto(entry: DeviceEntry, src: RawView, dst: RawView): void {
  if (sizeOf(src.shape) === 0) return;
  const lazy = activeLazyRecorder();
  if (lazy) return lazy.copyInto(src, dst);
  const reg = findKernel(entry, "copy", src.dtype);
  if (!reg) {
    const reason = entry.device.capabilities.dtypes.includes(src.dtype) ? "no copy kernel" : `dtype ${src.dtype} not supported`;
    return copyIntoOnCpu(entry, src, dst, reason);
  }
  const call: KernelCall = { op: "copy", inputs: [toKernelView(src)], outputs: [toKernelView(dst)], attrs: {}, origin: launchOrigin() };
  entry.queue.submit(() => entry.device.launch(reg.kernel, call), call);
}

/**
 * copyInto's fallback: both storages come to the host whole (so strides and offsets stay valid),
 * the CPU's copy writes the region, and the destination's storage goes back. Counted and reported
 * as a `copy` fallback.
 */
function copyIntoOnCpu(entry: DeviceEntry, src: RawView, dst: RawView, reason: string): void {
  const cpu = isLastResort(entry) ? undefined : fallbackTarget(entry, "copy", src.dtype);
  if (!cpu) throw new KernelError(`copy: '${entry.name}' has no copy kernel for ${src.dtype} and no device can take it: ${reason}`);
  const record = noteFallback(entry.name, "copy", src.dtype, reason);
  const started = performance.now();
  const onHost = (view: RawView, bytes: Uint8Array): RawView => {
    const s = allocate(cpu, "uint8", [bytes.byteLength]).storage;
    cpu.device.write(s.buffer, bytes, 0);
    return { storage: s, dtype: view.dtype, shape: view.shape, strides: view.strides, offset: view.offset };
  };
  const run = ([srcBytes, dstBytes]: Uint8Array[]) => {
    const [hostSrc, hostDst] = [onHost(src, srcBytes!), onHost(dst, dstBytes!)];
    copyInto(cpu, hostSrc, hostDst);
    const result = cpu.device.readSync!(hostDst.storage.buffer, 0, hostDst.storage.bytes);
    hostSrc.storage.release();
    hostDst.storage.release();
    entry.device.write(dst.storage.buffer, result, 0);
    record.bytesToHost += srcBytes!.byteLength + dstBytes!.byteLength;
    record.bytesToDevice += result.byteLength;
    profiler.emit({
      device: entry.name,
      name: "copy",
      category: "fallback",
      start: started,
      duration: performance.now() - started,
      args: { dtype: src.dtype, reason, to: cpu.name },
    });
  };
  const views = [src, dst];
  const retained = views.map((v) => v.storage.retain());
  const release = () => retained.forEach((s) => s.release());
  const { readSync } = entry.device;
  if (readSync && !entry.queue.busy) {
    try {
      run(views.map((v) => readSync.call(entry.device, v.storage.buffer, 0, v.storage.bytes)));
    } finally {
      release();
    }
  } else {
    entry.queue.submitAsync(async () => {
      try {
        run(await Promise.all(views.map((v) => entry.device.read(v.storage.buffer, 0, v.storage.bytes))));
      } finally {
        release();
      }
    });
  }
}

function fallbackToCpu(entry: DeviceEntry, op: string, inputs: readonly RawView[], attrs: Attrs, metas: TensorMeta[], reason: string): RawView[] {
  const dtype = inputs[0]?.dtype ?? metas[0]!.dtype;
  const cpu = isLastResort(entry) ? undefined : fallbackTarget(entry, op, dtype);
  if (!cpu) throw new KernelError(`${op}: '${entry.name}' has no kernel for inputs ${describe(inputs)} and no device can take it: ${reason}`);
  const record = noteFallback(entry.name, op, dtype, reason);
  const outputs = metas.map((m) => allocate(entry, m.dtype, m.shape));
  const started = performance.now();
  const runOnCpu = (hostInputs: Uint8Array[]) => {
    const cpuInputs = inputs.map((v, i) => {
      const s = allocate(cpu, "uint8", [hostInputs[i]!.byteLength]).storage;
      cpu.device.write(s.buffer, hostInputs[i]!, 0);
      return { storage: s, dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset };
    });
    const cpuOutputs = runOp(op, cpuInputs, attrs, cpu.name);
    cpuInputs.forEach((v) => v.storage.release());
    const bytes = cpuOutputs.map((o) => cpu.device.readSync!(o.storage.buffer, 0, o.storage.bytes));
    cpuOutputs.forEach((o) => o.storage.release());
    return bytes;
  };
  const finish = (outBytes: Uint8Array[], inBytes: number) => {
    outBytes.forEach((b, i) => b.byteLength > 0 && entry.device.write(outputs[i]!.storage.buffer, b, 0));
    record.bytesToHost += inBytes;
    record.bytesToDevice += outBytes.reduce((s, b) => s + b.byteLength, 0);
    profiler.emit({
      device: entry.name,
      name: op,
      category: "fallback",
      start: started,
      duration: performance.now() - started,
      args: { dtype, reason, to: cpu.name },
    });
  };
  // Inputs are read whole (storage bytes), so their strides and offsets stay valid on the CPU.
  const retained = inputs.map((v) => v.storage.retain());
  const { readSync } = entry.device;
  if (readSync && !entry.queue.busy) {
    try {
      const host = inputs.map((v) => readSync.call(entry.device, v.storage.buffer, 0, v.storage.bytes));
      finish(
        runOnCpu(host),
        host.reduce((s, b) => s + b.byteLength, 0),
      );
    } finally {
      retained.forEach((s) => s.release());
    }
  } else {
    entry.queue.submitAsync(async () => {
      try {
        const host = await Promise.all(inputs.map((v) => entry.device.read(v.storage.buffer, 0, v.storage.bytes)));
        finish(
          runOnCpu(host),
          host.reduce((s, b) => s + b.byteLength, 0),
        );
      } finally {
        retained.forEach((s) => s.release());
      }
    });
  }
  return outputs;
}
