import type { AttrValue, DType } from "@polychip/hal";
import type { ValueInfo } from "@polychip/engine/runtime";
import { AttributeType, DataType, type AttributeProto, type NodeProto, type TensorProto } from "../proto/types.ts";
import { onnxTypeForDType, tensorToProto } from "../tensor.ts";

export type OnnxAttr = number | string | readonly number[] | { floats: readonly number[] } | { tensor: TensorProto } | { float: number };

/** The ONNX nodes and initializers an export builds, with fresh names and shape knowledge. */
export class ExportContext {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly used: Set<string>;
  /** The graph node being exported, for names and errors. */
  current = "";

  constructor(
    names: Iterable<string>,
    private readonly shapes: Map<string, ValueInfo>,
    readonly opset: number,
  ) {
    this.used = new Set(names);
  }

  fresh(base: string): string {
    let name = `${base}/${++this.counter}`;
    while (this.used.has(name)) name = `${base}/${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Shape and dtype of a graph value, from shape inference (undefined when it depends on run-time data). */
  info(name: string): ValueInfo | undefined {
    return this.shapes.get(name);
  }

  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, OnnxAttr | undefined> = {}): void {
    const attribute: AttributeProto[] = [];
    for (const [name, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      attribute.push(encodeAttr(name, v));
    }
    this.nodes.push({ opType, input: [...inputs], output: [...outputs], attribute, ...(this.current ? { name: this.fresh(this.current) } : {}) });
  }

  /** Emits a node with a fresh single output and returns its name. */
  temp(opType: string, inputs: readonly string[], attrs: Record<string, OnnxAttr | undefined> = {}): string {
    const out = this.fresh(`${this.current || opType}_${opType}`);
    this.node(opType, inputs, [out], attrs);
    return out;
  }

  /** An int64 initializer (ONNX wants int64 for shapes, axes, pads, starts ...). */
  int64(values: readonly number[], shape: readonly number[] = [values.length]): string {
    const name = this.fresh(`${this.current || "const"}_i64`);
    this.initializers.push(tensorToProto(name, { dtype: "int32", shape, data: Int32Array.from(values) }, { asInt64: true }));
    return name;
  }

  /** An initializer holding host values in a HAL dtype. */
  constant(values: readonly number[], shape: readonly number[], dtype: DType): string {
    const name = this.fresh(`${this.current || "const"}_c`);
    this.initializers.push(this.tensor(values, shape, dtype, name));
    return name;
  }

  /** A TensorProto (for attributes such as ConstantOfShape's value). */
  tensor(values: readonly number[], shape: readonly number[], dtype: DType, name = ""): TensorProto {
    const data =
      dtype === "int32"
        ? Int32Array.from(values)
        : dtype === "int8"
          ? Int8Array.from(values)
          : dtype === "float32" || dtype === "float16"
            ? Float32Array.from(values)
            : Uint8Array.from(values);
    return tensorToProto(name, { dtype, shape, data });
  }

  /** A graph int32 value (shape, starts) as the int64 tensor ONNX expects. */
  toInt64(name: string): string {
    return this.temp("Cast", [name], { to: DataType.INT64 });
  }
}

function encodeAttr(name: string, v: OnnxAttr): AttributeProto {
  if (typeof v === "number") {
    return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  }
  if (typeof v === "string") return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (isIntList(v)) return { name, type: AttributeType.INTS, ints: [...v] };
  if ("floats" in v) return { name, type: AttributeType.FLOATS, floats: [...v.floats] };
  if ("float" in v) return { name, type: AttributeType.FLOAT, f: v.float };
  return { name, type: AttributeType.TENSOR, t: v.tensor };
}

function isIntList(v: OnnxAttr): v is readonly number[] {
  return Array.isArray(v);
}

export function onnxElemType(dtype: DType): number {
  return onnxTypeForDType(dtype);
}

export type { AttrValue };
