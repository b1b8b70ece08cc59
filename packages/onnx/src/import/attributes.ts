import { FormatError } from "@polychip/hal";
import { toNumber } from "../proto/codec.ts";
import { AttributeType, type AttributeProto, type GraphProto, type TensorProto } from "../proto/types.ts";

const text = new TextDecoder("utf-8", { fatal: false });

/** Typed access to a node's attributes, with defaults and errors naming the node. */
export class NodeAttributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    readonly where: string,
    attrs: readonly AttributeProto[],
  ) {
    for (const a of attrs) {
      if (a.refAttrName) throw new FormatError(`${where}: attribute '${a.name}' refers to a function attribute, which only functions may use`);
      this.byName.set(a.name ?? "", a);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  private get(name: string, types: number[]): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    // IR < 2 had no type field; trust the field that is set then.
    if (a.type && !types.includes(a.type)) throw new FormatError(`${this.where}: attribute '${name}' has type ${a.type}, expected ${types.join(" or ")}`);
    return a;
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, [AttributeType.INT]);
    if (!a) return fallback;
    const v = toNumber(a.i);
    if (!Number.isFinite(v)) throw new FormatError(`${this.where}: attribute '${name}' is not a finite integer`);
    return v;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, [AttributeType.FLOAT]);
    return a ? (a.f ?? 0) : fallback;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const a = this.get(name, [AttributeType.STRING]);
    return a ? text.decode(a.s ?? new Uint8Array()) : fallback;
  }

  ints(name: string, fallback: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, [AttributeType.INTS]);
    if (!a) return fallback;
    return (a.ints ?? []).map((v) => {
      const n = toNumber(v);
      if (!Number.isFinite(n)) throw new FormatError(`${this.where}: attribute '${name}' holds a non-finite integer`);
      return n;
    });
  }

  floats(name: string, fallback: number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, [AttributeType.FLOATS]);
    return a ? [...(a.floats ?? [])] : fallback;
  }

  strings(name: string): string[] | undefined {
    const a = this.get(name, [AttributeType.STRINGS]);
    return a ? (a.strings ?? []).map((s) => text.decode(s)) : undefined;
  }

  tensor(name: string): TensorProto | undefined {
    const a = this.get(name, [AttributeType.TENSOR]);
    return a ? (a.t ?? {}) : undefined;
  }

  /** A graph attribute (If's branches, Loop's and Scan's body). */
  graph(name: string): GraphProto | undefined {
    const a = this.get(name, [AttributeType.GRAPH]);
    return a ? (a.g ?? {}) : undefined;
  }

  /** True when an attribute holds a graph (If/Loop/Scan bodies). */
  hasGraph(): boolean {
    return [...this.byName.values()].some((a) => a.type === AttributeType.GRAPH || a.type === AttributeType.GRAPHS || (a.g !== undefined && a.g !== null));
  }
}
