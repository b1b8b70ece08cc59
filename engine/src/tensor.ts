import { DeviceError, DisposedError, dtypeBytes, formatShape, PolychipError, ShapeError, sizeOf, type DType, type HostArray, type Shape } from "@polychip/hal";
import { getDeviceEntry } from "./core/devices.ts";
import { decodeHost } from "./core/host.ts";
import { readView, runOp } from "./core/dispatch.ts";
import { viewIsContiguous, type RawView } from "./core/view.ts";
import { finalizer, track } from "./scope.ts";
import { runBackward, type GradNode } from "./tape/node.ts";

let nextId = 1;
const liveTensors = new Map<string, number>();

export function liveTensorCount(device?: string): number {
  if (device) return liveTensors.get(device) ?? 0;
  let n = 0;
  for (const c of liveTensors.values()) n += c;
  return n;
}

function countLive(device: string, delta: number): void {
  liveTensors.set(device, (liveTensors.get(device) ?? 0) + delta);
}

export type Scalar = number;
export type TensorLike = Tensor | Scalar;

/**
 * An n-dimensional array on a device. Operations queue work on the device and return at once;
 * only reading values back (`await t.data()`) waits for it.
 */
export class Tensor {
  readonly id = nextId++;
  private raw: RawView | undefined;
  requiresGrad = false;
  /** Accumulated gradient after backward(); kept across tidy scopes. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, when it was recorded for autograd. */
  gradFn: GradNode | null = null;
  /** Set when backward() freed the graph behind this tensor: a second backward through it is an error. */
  graphReleased = false;
  /** Set on nn parameters. */
  isParameter = false;

  /** Wraps a view that already holds one storage reference for this tensor. */
  constructor(raw: RawView) {
    this.raw = raw;
    countLive(raw.storage.device, 1);
    finalizer.register(this, { storage: raw.storage, onCollect: () => countLive(raw.storage.device, -1) }, this);
    track(this);
  }

  /** The underlying view; throws when disposed. */
  get view(): RawView {
    if (!this.raw) throw new DisposedError(`tensor #${this.id} was disposed and cannot be used`);
    return this.raw;
  }

  get shape(): number[] {
    return [...this.view.shape];
  }
  get dtype(): DType {
    return this.view.dtype;
  }
  get device(): string {
    return this.view.storage.device;
  }
  get ndim(): number {
    return this.view.shape.length;
  }
  get size(): number {
    return sizeOf(this.view.shape);
  }
  get isDisposed(): boolean {
    return this.raw === undefined;
  }

  dispose(): void {
    if (!this.raw) return;
    finalizer.unregister(this);
    countLive(this.raw.storage.device, -1);
    this.raw.storage.release();
    this.raw = undefined;
    this.gradFn = null;
  }

  /** Replaces this tensor's contents with `other`'s (shares its memory); used by optimisers for in-place updates. */
  assign(other: Tensor): this {
    if (!other.view || !this.raw) throw new DisposedError(`assign: tensor #${this.isDisposed ? this.id : other.id} was disposed`);
    if (formatShape(other.shape) !== formatShape(this.shape) || other.dtype !== this.dtype) {
      throw new ShapeError(`assign: expected ${this.dtype}${formatShape(this.shape)}, got ${other.dtype}${formatShape(other.shape)}`);
    }
    const next = other.view;
    next.storage.retain();
    finalizer.unregister(this);
    this.raw.storage.release();
    this.raw = { ...next };
    finalizer.register(this, { storage: next.storage, onCollect: () => countLive(next.storage.device, -1) }, this);
    return this;
  }

  /** Values in row-major order (a copy). */
  async data(): Promise<HostArray> {
    const v = this.view;
    const bytes = await readView(v);
    return decodeHost(bytes, v.dtype, sizeOf(v.shape));
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ShapeError(`item: tensor has ${this.size} elements (shape ${formatShape(this.shape)}), expected 1`);
    return (await this.data())[0]!;
  }

  /** Values as nested arrays. */
  async array(): Promise<unknown> {
    const flat = Array.from(await this.data());
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.ndim) return flat[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Synchronous read, only on devices whose memory the host can see and with no pending work. */
  dataSync(): HostArray {
    const v = this.view;
    const entry = getDeviceEntry(v.storage.device);
    if (!entry.device.readSync || entry.queue.busy) {
      throw new DeviceError(`dataSync: device '${entry.name}' cannot be read synchronously; use await tensor.data()`);
    }
    const cv = viewIsContiguous(v) ? v : runOp("copy", [v])[0]!;
    try {
      const n = this.size * dtypeBytes(cv.dtype);
      const bytes = n === 0 ? new Uint8Array(0) : entry.device.readSync(cv.storage.buffer, cv.offset * dtypeBytes(cv.dtype), n);
      return decodeHost(bytes, cv.dtype, this.size);
    } finally {
      if (cv !== v) cv.storage.release();
    }
  }

  toString(): string {
    return `Tensor(${this.dtype}${formatShape(this.shape)} on ${this.raw ? this.device : "<disposed>"}${this.requiresGrad ? ", requiresGrad" : ""})`;
  }

  // ---- autograd ----
  backward(grad?: Tensor, options?: { retainGraph?: boolean }): void {
    runBackward(this, grad, options);
  }
  /** Marks this tensor as a leaf that collects gradients. */
  requiresGrad_(value = true): this {
    if (value && this.dtype !== "float32" && this.dtype !== "float16")
      throw new PolychipError(`requiresGrad: only float tensors can require gradients, got ${this.dtype}`);
    this.requiresGrad = value;
    return this;
  }
}

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

export type { Shape };
