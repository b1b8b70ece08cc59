import { formatShape, isFloat, isDType, ShapeError, type DType } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import { keep } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { collectMembers, replaceOwnTensors } from "./members.ts";
import { instrumentForward } from "./forward-ranges.ts";
import { HookSet, type BackwardHook, type ForwardHook, type ForwardPreHook, type HookHandle, runWithHooks } from "./hooks.ts";

/**
 * Base of every layer. Parameters, buffers and child modules are found by walking the module's own
 * properties, including arrays, plain objects and Maps inside them (as PyTorch's ModuleList and
 * ModuleDict); a module stored where it cannot be named is refused with an error, never skipped.
 * Internal bookkeeping lives in #private fields, which that walk does not see.
 */
export abstract class Module {
  training = true;
  readonly #bufferNames = new Set<string>();
  readonly #hooks = new HookSet<Module>();

  constructor() {
    // Each subclass's forward opens a profiler range while recording (forward-ranges.ts).
    instrumentForward(new.target.prototype, Module.prototype);
  }

  abstract forward(...inputs: Tensor[]): Tensor;

  /** Runs forward through the registered hooks (forward-pre, forward, full backward), as PyTorch's `module(x)`. */
  call(...inputs: Tensor[]): Tensor {
    return this.#hooks.empty ? this.forward(...inputs) : runWithHooks(this, this.#hooks, inputs, (xs) => this.forward(...xs));
  }

  /** `fn(module, inputs)` runs before forward; returning tensors replaces the inputs. */
  registerForwardPreHook(fn: ForwardPreHook<this>): HookHandle {
    return this.#hooks.add("pre", fn as ForwardPreHook<Module>);
  }

  /** `fn(module, inputs, output)` runs after forward; returning a tensor replaces the output. */
  registerForwardHook(fn: ForwardHook<this>): HookHandle {
    return this.#hooks.add("forward", fn as ForwardHook<Module>);
  }

  /**
   * `fn(module, gradInputs, gradOutput)` runs during backward once the gradients w.r.t. the module's
   * inputs are known (null for an input that needs none); returning tensors replaces gradInputs.
   */
  registerFullBackwardHook(fn: BackwardHook<this>): HookHandle {
    return this.#hooks.add("backward", fn as BackwardHook<Module>);
  }

  /** Marks a property as persistent state that is not trained (e.g. batch-norm running stats). */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    this.#bufferNames.add(name);
    return keep(value);
  }

  #members() {
    return collectMembers<Module>(this, (v): v is Module => v instanceof Module, this.#bufferNames);
  }

  /** Direct children, by property name (container elements as name.key). */
  namedChildren(): [string, Module][] {
    return this.#members().modules;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, each once, with dotted names ("" for this one). */
  namedModules(prefix = "", seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, seen));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Calls `fn` on every descendant, then on this module (PyTorch's order), e.g. to initialise weights. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Every trainable tensor, with dotted names ("0.weight", "conv1.bias"); a tensor shared by two layers appears once. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      for (const [name, p] of m.#members().parameters) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix + (path ? `${path}.` : "") + name, p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      for (const name of m.#bufferNames) {
        const value = (m as unknown as Record<string, unknown>)[name];
        if (isTensorLike(value)) out.push([prefix + (path ? `${path}.` : "") + name, value]);
      }
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer to a device (the tensors stay the same objects, so an optimiser
   * built earlier keeps working), or casts the floating ones to a dtype (new tensor objects: build the
   * optimiser after a dtype change, as in PyTorch).
   */
  to(target: string | DType): this {
    if (isDType(target)) return this.#castFloating(target);
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        if (t.device === target) continue;
        const moved = t.to(target);
        t.assign(moved);
        moved.dispose();
        if (t.grad) {
          const g = keep(t.grad.to(target));
          t.grad.dispose();
          t.grad = g;
        }
      }
    });
    return this;
  }

  half(): this {
    return this.to("float16");
  }

  float(): this {
    return this.to("float32");
  }

  #castFloating(dtype: DType): this {
    if (!isFloat(dtype)) throw new ShapeError(`Module.to: can only cast parameters to a floating dtype, got ${dtype}`);
    for (const m of this.modules()) {
      const buffers = m.#bufferNames;
      replaceOwnTensors(
        m,
        (t) => {
          const isBuffer = [...buffers].some((b) => (m as unknown as Record<string, unknown>)[b] === t);
          if (!(t.isParameter || isBuffer) || !isFloat(t.dtype) || t.dtype === dtype) return undefined;
          const cast = keep(noGrad(() => t.cast(dtype)));
          if (t.isParameter) {
            cast.requiresGrad_(t.requiresGrad);
            cast.isParameter = true;
          }
          t.grad?.dispose();
          t.dispose();
          return cast;
        },
        new Set(),
      );
    }
    return this;
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
