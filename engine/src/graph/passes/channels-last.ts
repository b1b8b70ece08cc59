import { getOp, sizeOf, type ConvLayout, type ConvLayoutQuery, type HostArray } from "@polychip/hal";
import { inferShapes } from "../infer-shapes.ts";
import { nameAllocator, type Graph, type GraphNode, type Initializer, type ValueInfo } from "../ir.ts";
import { cancelTransposes } from "./cancel-transposes.ts";
import { deadCodeElimination } from "./dead-code.ts";

export interface ChannelsLastOptions {
  /** The device's answer per conv2d node (DevicePlugin.preferredConvLayout). */
  readonly convLayout: (conv: ConvLayoutQuery) => ConvLayout;
}

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

/** Op families whose nodes compute element by element with NumPy broadcasting, so any layout works as long as every operand has the same one. */
const ELEMENTWISE_FAMILIES = new Set(["unary", "binary", "compare", "logical", "select", "cast", "fused"]);

function isElementwise(op: string): boolean {
  try {
    return ELEMENTWISE_FAMILIES.has(getOp(op).family);
  } catch {
    return false; // structural ops (views, shapes) are not HAL ops
  }
}

/**
 * Runs the convs a device prefers channels-last as `conv2dNhwc` and keeps the chains between them
 * channels-last: each such conv starts as transpose → conv2dNhwc → transpose, then every
 * elementwise node (activations, folded batch-norm scales, residual adds, SE gates) and every
 * channel concat whose NCHW inputs are such transposes runs on the channels-last values instead,
 * its own transpose moved after it. A transpose into a conv that reads another conv's transpose
 * cancels, so transposes remain only where a chain meets a graph input or output or an op that
 * is not layout-aware (pooling, reshape, matmul, a conv the device prefers NCHW). Per-channel
 * constants ([C,1,1], [1,C,1,1]) are re-shaped to broadcast along the last axis. Values are
 * unchanged: elementwise ops compute the same thing per element in either layout.
 */
export function channelsLast(graph: Graph, options: ChannelsLastOptions): Graph {
  // Only a conv starts a chain: without one no shape is asked, and inferring them is most of the pass's time.
  const shapes = graph.nodes.some((n) => n.op === "conv2d") ? inferShapes(graph) : new Map<string, ValueInfo>();
  const dims = (v: string) => shapes.get(v)?.shape;
  const initializers = new Map(graph.initializers.map((i) => [i.name, i]));
  const added: Initializer[] = [];
  const fresh = nameAllocator(graph);
  const nodes: GraphNode[] = [];
  /** NCHW value → the channels-last value it is a transpose of. */
  const channelsLastOf = new Map<string, string>();
  /** NCHW value → the transpose of it made so far (one per value, shared by its readers). */
  const transposed = new Map<string, string>();

  const permute = (input: string, dims: number[], output: string): void => {
    nodes.push({ op: "permute", inputs: [input], outputs: [output], attrs: { dims } });
  };
  const toNhwc = (v: string): string => {
    const known = channelsLastOf.get(v) ?? transposed.get(v);
    if (known) return known;
    const out = fresh(`${v}_nhwc`);
    permute(v, TO_NHWC, out);
    transposed.set(v, out);
    return out;
  };
  /** Emits `node` computing channels-last values, and transposes back to the node's own output names. */
  const emitChannelsLast = (node: GraphNode, op: string, inputs: string[], attrs: GraphNode["attrs"]): void => {
    const outputs = node.outputs.map((o) => fresh(`${o}_nhwc`));
    nodes.push({ ...node, op, inputs, outputs, attrs });
    node.outputs.forEach((o, i) => {
      permute(outputs[i]!, TO_NCHW, o);
      channelsLastOf.set(o, outputs[i]!);
    });
  };
  /** The channels-last form of an elementwise operand beside a channels-last value, or undefined when it has none worth making. */
  const operandNhwc = (v: string): string | undefined => {
    if (v === "") return v;
    const chained = channelsLastOf.get(v);
    if (chained) return chained;
    const d = dims(v);
    if (!d) return undefined;
    if (d.every((x) => x === 1)) return v; // a scalar broadcasts the same in any layout
    const init = initializers.get(v);
    if (init && d.length <= 4) return permutedConstant(init);
    return d.length === 4 ? toNhwc(v) : undefined;
  };
  /** `init` as the channels-last constant of NCHW shape `four` (by default its shape NumPy-aligned to rank 4). */
  const permutedConstant = (init: Initializer, four = [...new Array(4 - init.shape.length).fill(1), ...init.shape] as number[]): string => {
    const name = fresh(`${init.name}_nhwc`);
    added.push({ name, dtype: init.dtype, shape: TO_NHWC.map((d) => four[d]!), data: permuteData(init.data, four) });
    return name;
  };

  for (const node of graph.nodes) {
    if (node.op === "conv2d" && prefersNhwc(node, shapes, options)) {
      const [x, w, bias = ""] = node.inputs;
      if (initializers.has(bias) && isPointwise(node, dims(w!))) {
        // A 1x1 conv is a GEMM: its bias, as an add, joins whatever the device runs in the GEMM's epilogue.
        const product = fresh(`${node.outputs[0]}_nobias`);
        emitChannelsLast({ ...node, outputs: [product] }, "conv2dNhwc", [toNhwc(x!), w!], node.attrs);
        emitChannelsLast(
          node,
          "add",
          [channelsLastOf.get(product)!, permutedConstant(initializers.get(bias)!, [1, sizeOf(initializers.get(bias)!.shape), 1, 1])],
          {},
        );
        continue;
      }
      emitChannelsLast(node, "conv2dNhwc", [toNhwc(x!), ...node.inputs.slice(1)], node.attrs);
      continue;
    }
    const chained = node.inputs.some((v) => channelsLastOf.has(v));
    const out = node.outputs.length === 1 ? dims(node.outputs[0]!) : undefined;
    if (chained && out?.length === 4 && isElementwise(node.op)) {
      const inputs = node.inputs.map(operandNhwc);
      if (inputs.every((v) => v !== undefined)) {
        emitChannelsLast(node, node.op, inputs as string[], node.attrs);
        continue;
      }
    }
    if (chained && out?.length === 4 && REDUCTIONS.has(node.op) && node.attrs.keepDims === true && Array.isArray(node.attrs.axes)) {
      emitChannelsLast(node, node.op, [toNhwc(node.inputs[0]!)], {
        ...node.attrs,
        axes: (node.attrs.axes as number[]).map(channelsLastAxis).sort((a, b) => a - b),
      });
      continue;
    }
    if (chained && out?.length === 4 && node.op === "gather" && dims(node.inputs[1]!)?.length === 1 && channelsLastOf.has(node.inputs[0]!)) {
      const axis = typeof node.attrs.axis === "number" ? node.attrs.axis : 0;
      emitChannelsLast(node, "gather", [toNhwc(node.inputs[0]!), node.inputs[1]!], { ...node.attrs, axis: channelsLastAxis(axis) });
      continue;
    }
    if (chained && out?.length === 4 && node.op === "concat" && isChannelAxis(node.attrs.axis)) {
      emitChannelsLast(node, "concat", node.inputs.map(toNhwc), { ...node.attrs, axis: 3 });
      continue;
    }
    nodes.push(node);
  }
  const rewritten: Graph = { ...graph, nodes, initializers: [...graph.initializers, ...added] };
  return deadCodeElimination(cancelTransposes(rewritten));
}

/** Reductions that keep their rank: over NCHW axes of a channels-last value they reduce the same dims at their new places. */
const REDUCTIONS = new Set(["reduceSum", "reduceProd", "reduceMax", "reduceMin"]);

/** Where NCHW axis `axis` (negative from the end) sits in the channels-last layout. */
function channelsLastAxis(axis: number): number {
  return TO_NHWC.indexOf(axis < 0 ? axis + 4 : axis);
}

function isPointwise(node: GraphNode, w: readonly (number | string)[] | undefined): boolean {
  const ones = (v: unknown, n: number) => v === undefined || (Array.isArray(v) && v.length === n && v.every((x) => x === (n === 4 ? 0 : 1)));
  const groups = node.attrs.groups ?? 1;
  return w?.[2] === 1 && w[3] === 1 && groups === 1 && ones(node.attrs.strides, 2) && ones(node.attrs.pads, 4);
}

function isChannelAxis(axis: unknown): boolean {
  return axis === 1 || axis === -3;
}

function prefersNhwc(node: GraphNode, shapes: ReadonlyMap<string, ValueInfo>, options: ChannelsLastOptions): boolean {
  const x = shapes.get(node.inputs[0]!);
  const w = shapes.get(node.inputs[1]!)?.shape;
  if (x?.shape.length !== 4 || w?.length !== 4 || !w.every((d) => typeof d === "number")) return false;
  return options.convLayout({ dtype: x.dtype, inputShape: x.shape, weightShape: w as number[], attrs: node.attrs }) === "nhwc";
}

/** Row-major `data` of a 4-D `shape` laid out in TO_NHWC order. */
function permuteData(data: HostArray, shape: readonly number[]): HostArray {
  const [n, c, h, w] = shape as [number, number, number, number];
  if (c === 1 || h * w === 1) return data; // one of the moved dims is 1: the order of the values does not change
  const out = new (data.constructor as new (n: number) => HostArray)(sizeOf(shape));
  let k = 0;
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[k++] = data[((i * c + ch) * h + y) * w + x]!;
  return out;
}
