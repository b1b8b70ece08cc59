import { PolychipError } from "@polychip/hal";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

function checkModule(where: string, m: unknown): Module {
  if (!(m instanceof Module))
    throw new PolychipError(`${where}: expected a Module, got ${m === null ? "null" : typeof m === "object" ? m.constructor?.name : typeof m}`);
  return m;
}

/** A list of modules whose parameters are registered under their index ("0.weight"), as torch.nn.ModuleList. */
export class ModuleList extends Module implements Iterable<Module> {
  readonly items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: Module): this {
    this.items.push(checkModule("ModuleList.append", m));
    return this;
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): Module {
    const m = this.items.at(i);
    if (!m) throw new PolychipError(`ModuleList: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  override namedChildren(): [string, Module][] {
    return this.items.map((m, i) => [String(i), m]);
  }

  forward(): Tensor {
    throw new PolychipError("ModuleList has no forward: iterate over it and call the modules");
  }
}

/** Modules by string key, registered under that key ("encoder.weight"), as torch.nn.ModuleDict. */
export class ModuleDict extends Module {
  readonly entriesMap = new Map<string, Module>();

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const pairs = Symbol.iterator in modules ? (modules as Iterable<[string, Module]>) : Object.entries(modules);
    for (const [k, m] of pairs) this.set(k, m);
  }

  set(key: string, m: Module): this {
    if (typeof key !== "string" || key === "" || key.includes("."))
      throw new PolychipError(`ModuleDict: key ${JSON.stringify(key)} must be a non-empty string without '.'`);
    this.entriesMap.set(key, checkModule(`ModuleDict.set('${key}')`, m));
    return this;
  }

  get(key: string): Module {
    const m = this.entriesMap.get(key);
    if (!m) throw new PolychipError(`ModuleDict: no module '${key}' (keys: ${[...this.entriesMap.keys()].join(", ")})`);
    return m;
  }

  has(key: string): boolean {
    return this.entriesMap.has(key);
  }

  keys(): string[] {
    return [...this.entriesMap.keys()];
  }

  values(): Module[] {
    return [...this.entriesMap.values()];
  }

  get size(): number {
    return this.entriesMap.size;
  }

  override namedChildren(): [string, Module][] {
    return [...this.entriesMap];
  }

  forward(): Tensor {
    throw new PolychipError("ModuleDict has no forward: pick a module with get(key) and call it");
  }
}
