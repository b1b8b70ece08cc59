import { PolychipError, UnsupportedOpError } from "@polychip/hal";
import { inferShapes, type Graph, type ValueInfo } from "@polychip/engine/runtime";
import { encodeModel } from "../proto/codec.ts";
import type { ModelProto, ValueInfoProto } from "../proto/types.ts";
import { tensorToProto } from "../tensor.ts";
import { ExportContext, onnxElemType } from "./context.ts";
import { OP_EXPORTERS } from "./ops.ts";

/** The opset Polychip writes: 17 has every op the exporter uses (LayerNormalization, ScatterElements with reduction). */
export const EXPORT_OPSET = 17;
/** Dilated average pooling exists only from AveragePool-19: such graphs are written at opset 19. */
const DILATED_POOL_OPSET = 19;
/** The ONNX IR version of each opset Polychip writes. */
const IR_VERSION: Record<number, number> = { 17: 8, 19: 9 };

export interface ExportOptions {
  /** Producer name written into the model (default "polychip"). */
  readonly producerName?: string;
  readonly producerVersion?: string;
}

/** Writes a graph as an ONNX model (ModelProto bytes, opset 17, tensors inside the file). */
export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  return encodeModel(exportModelProto(graph, options));
}

export function exportModelProto(graph: Graph, options: ExportOptions = {}): ModelProto {
  const shapes = inferShapes(graph);
  const names = [...graph.inputs.map((v) => v.name), ...graph.initializers.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)];
  const opset = graph.nodes.some((n) => n.op === "avgPool2d" && Array.isArray(n.attrs.dilations) && (n.attrs.dilations as number[]).some((d) => d !== 1))
    ? DILATED_POOL_OPSET
    : EXPORT_OPSET;
  const ctx = new ExportContext(names, shapes, opset);
  for (const init of graph.initializers) ctx.initializers.push(tensorToProto(init.name, init));
  graph.nodes.forEach((node, i) => {
    const exporter = OP_EXPORTERS[node.op];
    ctx.current = node.name ?? `${node.op}_${i}`;
    if (!exporter) throw new UnsupportedOpError(`export: node #${i} (${node.op}) has no ONNX counterpart in Polychip's exporter`);
    try {
      exporter(ctx, node);
    } catch (err) {
      if (err instanceof PolychipError) {
        const Cls = err.constructor as new (m: string) => PolychipError;
        throw new Cls(`export: node #${i} (${node.op}${node.name ? ` '${node.name}'` : ""}): ${err.message}`);
      }
      throw err;
    }
  });
  const metadataProps = Object.entries(graph.metadata ?? {})
    .filter(([k]) => !k.startsWith("onnx."))
    .map(([key, value]) => ({ key, value }));
  return {
    irVersion: IR_VERSION[opset]!,
    producerName: options.producerName ?? "polychip",
    producerVersion: options.producerVersion ?? "0.1.0",
    opsetImport: [{ domain: "", version: opset }],
    graph: {
      name: graph.name,
      node: ctx.nodes,
      initializer: ctx.initializers,
      input: graph.inputs.map((v) => valueInfo(v)),
      output: graph.outputs.map((v) => valueInfo(shapes.get(v.name) ?? v)),
    },
    metadataProps,
  };
}

function valueInfo(v: ValueInfo): ValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnxElemType(v.dtype),
        shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
