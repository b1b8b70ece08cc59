import { PolychipError } from "@polychip/hal";
import { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

/**
 * torch.nn.Parameter as torch code writes it: `nn.Parameter(t)` and `new nn.Parameter(t)` both mark
 * `t` as a parameter and return that same tensor (there is no subclass), and `p instanceof
 * nn.Parameter` asks whether a tensor is one. requiresGrad false keeps it a parameter that is frozen.
 */
export interface ParameterConstructor {
  (t: Tensor, requiresGrad?: boolean): Tensor;
  new (t: Tensor, requiresGrad?: boolean): Tensor;
  [Symbol.hasInstance](value: unknown): boolean;
}

function makeParameter(t: Tensor, requiresGrad = true): Tensor {
  if (!(t instanceof Tensor)) throw new PolychipError(`nn.Parameter: expected a Tensor, got ${t === null ? "null" : typeof t}`);
  const p = parameter(t);
  return requiresGrad ? p : p.requiresGrad_(false);
}

export const Parameter = function Parameter(t: Tensor, requiresGrad = true): Tensor {
  return makeParameter(t, requiresGrad);
} as unknown as ParameterConstructor;
Object.defineProperty(Parameter, Symbol.hasInstance, { value: (v: unknown) => v instanceof Tensor && v.isParameter });

/** Own properties a container key may not take: the module's fields and methods. */
function checkKey(where: string, owner: object, key: string): void {
  if (typeof key !== "string" || key === "" || key.includes(".") || key in owner)
    throw new PolychipError(`${where}: key ${JSON.stringify(key)} must be a non-empty string without '.' that is not a Module field or method`);
}

/**
 * Parameters registered under their index ("0", "1", ...), as torch.nn.ParameterList: each is held as
 * an own numbered property, which is how the module walk names it.
 */
export class ParameterList extends Module implements Iterable<Tensor> {
  #count = 0;

  constructor(params: Iterable<Tensor> = []) {
    super();
    for (const p of params) this.append(p);
  }

  append(t: Tensor): this {
    (this as unknown as Record<string, Tensor>)[String(this.#count++)] = makeParameter(t);
    return this;
  }

  get length(): number {
    return this.#count;
  }

  at(i: number): Tensor {
    const k = i < 0 ? i + this.#count : i;
    if (!Number.isInteger(k) || k < 0 || k >= this.#count) throw new PolychipError(`ParameterList: index ${i} is out of range for ${this.#count} parameters`);
    return (this as unknown as Record<string, Tensor>)[String(k)]!;
  }

  *[Symbol.iterator](): Iterator<Tensor> {
    for (let i = 0; i < this.#count; i++) yield this.at(i);
  }

  forward(): Tensor {
    throw new PolychipError("ParameterList has no forward: index it (at(i)) or iterate over it");
  }
}

/** Parameters by string key, registered under that key, as torch.nn.ParameterDict. */
export class ParameterDict extends Module {
  readonly #keys = new Set<string>();

  constructor(params: Record<string, Tensor> | Iterable<[string, Tensor]> = {}) {
    super();
    const pairs = Symbol.iterator in params ? (params as Iterable<[string, Tensor]>) : Object.entries(params);
    for (const [k, t] of pairs) this.set(k, t);
  }

  set(key: string, t: Tensor): this {
    if (!this.#keys.has(key)) checkKey("ParameterDict.set", this, key);
    (this as unknown as Record<string, Tensor>)[key] = makeParameter(t);
    this.#keys.add(key);
    return this;
  }

  get(key: string): Tensor {
    if (!this.#keys.has(key)) throw new PolychipError(`ParameterDict: no parameter '${key}' (keys: ${[...this.#keys].join(", ")})`);
    return (this as unknown as Record<string, Tensor>)[key]!;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  keys(): string[] {
    return [...this.#keys];
  }

  values(): Tensor[] {
    return this.keys().map((k) => this.get(k));
  }

  get size(): number {
    return this.#keys.size;
  }

  forward(): Tensor {
    throw new PolychipError("ParameterDict has no forward: pick a parameter with get(key)");
  }
}
