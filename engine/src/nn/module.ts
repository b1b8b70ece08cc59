import { formatShape, ShapeError } from "@polychip/hal";
import { keep } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

/**
 * Base of every layer. Parameters, buffers and child modules are found by walking the module's own
 * properties (tensors marked as parameters, other modules, arrays of modules), as in PyTorch.
 */
export abstract class Module {
  training = true;
  private readonly bufferNames = new Set<string>();

  abstract forward(...inputs: Tensor[]): Tensor;

  /** Runs forward (so a module can be called like a function in user code). */
  call(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  /** Marks a property as persistent state that is not trained (e.g. batch-norm running stats). */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    this.bufferNames.add(name);
    return keep(value);
  }

  /** Direct children, by property name (array elements as name.i). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof Module && out.push([`${key}.${i}`, v]));
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every trainable tensor, with dotted names ("0.weight", "conv1.bias"). */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (isTensorLike(value) && value.isParameter) out.push([prefix + key, value]);
    }
    for (const [name, child] of this.namedChildren()) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const name of this.bufferNames) {
      const value = (this as Record<string, unknown>)[name];
      if (isTensorLike(value)) out.push([prefix + name, value]);
    }
    for (const [name, child] of this.namedChildren()) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  train(mode = true): this {
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers by name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Copies values into this module's tensors; names and shapes must match exactly. */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>): void {
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k));
    if (missing.length || unexpected.length) {
      throw new ShapeError(`loadStateDict: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(unexpected)}`);
    }
    for (const [name, target] of own) {
      const src = entries.get(name)!;
      if (formatShape(src.shape) !== formatShape(target.shape)) {
        throw new ShapeError(`loadStateDict: '${name}' has shape ${formatShape(src.shape)}, the module expects ${formatShape(target.shape)}`);
      }
      const moved = src.device === target.device && src.dtype === target.dtype ? src : src.to(target.device).cast(target.dtype);
      target.assign(moved);
    }
  }

  /** Disposes every parameter and buffer (and their gradients). */
  dispose(): void {
    for (const t of this.stateDict().values()) {
      t.grad?.dispose();
      t.dispose();
    }
  }
}

function isTensorLike(v: unknown): v is Tensor {
  return typeof v === "object" && v !== null && "isParameter" in v && "view" in v;
}
