import {
  contiguousStrides,
  getOp,
  isContiguous,
  KernelError,
  planStructural,
  sizeOf,
  type Attrs,
  type GraphNodeView,
  type GraphView,
  type KernelFn,
  type StructuralOp,
  type SubgraphLaunch,
  type TensorView,
} from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad } from "./chip/dma.ts";
import { int8Mode } from "./chip/int8-mode.ts";
import { integerRange } from "./chip/numerics.ts";
import { fp16Mode, type TensorMode } from "./chip/tensor-unit.ts";
import { fusedConvShape, runFusedConv, type EpilogueOp, type FusedConv } from "./claim-fused-conv.ts";
import { programOverValue, type ProgramOverValue } from "./claim-fused-node.ts";
import { compileVectorProgram } from "./chip/vector-program.ts";
import type { NpuSimDevice } from "./device.ts";
import { streamKernel } from "./kernels/elementwise.ts";
import { fusedActivation } from "./kernels/conv2d-program.ts";
import { npuSimKernels } from "./kernels/index.ts";
import type { NpuRegistration } from "./kernels/registration.ts";

type Env = Map<string, TensorView<HostBuffer>>;

/** One launch of a compiled claim: reads values from the environment, writes its output into it. */
export interface Step {
  readonly name: string;
  /** The graph nodes this step stands for. */
  readonly nodes: readonly number[];
  run(env: Env, launch: SubgraphLaunch<HostBuffer>, npu: NpuSimDevice): void;
}

const VIEW_OPS = new Set(["identity", "reshape", "flatten"]);
const FLOATS = new Set(["float32", "float16"]);

/** The registered kernel for (op, dtype of the first input) in the chip's list, if it runs it natively. */
export function nativeKernel(op: string, dtype: string, kernels: readonly NpuRegistration[] = npuSimKernels): KernelFn<HostBuffer> | undefined {
  return kernels.find((k) => k.op === op && (k.dtypes === "*" || k.dtypes.includes(dtype as never)))?.kernel;
}

/** Whether the chip's list has float16 tensor-unit kernels (the int8-only edge part has none, so fp16 convs are not fused). */
const hasHalfTensorUnit = (kernels: readonly NpuRegistration[]) => kernels.some((k) => k.op === "conv2d" && k.dtypes !== "*" && k.dtypes.includes("float16"));

/**
 * Whether the chip runs `node` without the host: a native kernel for its dtype, a float cast
 * (a vector-unit stream the claim adds), or a reshape / flatten / identity (a new view of the same
 * DRAM). Anything else ends the chain.
 */
export function runsOnChip(graph: GraphView, node: GraphNodeView, kernels: readonly NpuRegistration[] = npuSimKernels): boolean {
  const dtypeOf = (name: string | undefined) => (name ? graph.values.get(name)?.dtype : undefined);
  if (VIEW_OPS.has(node.op)) return node.inputs.length === 1 && dtypeOf(node.inputs[0]) !== undefined;
  if (node.op === "cast") return FLOATS.has(dtypeOf(node.inputs[0]) ?? "") && FLOATS.has(String(node.attrs.to));
  const dtype = dtypeOf(node.inputs[0]);
  return dtype !== undefined && node.outputs.every((o) => graph.values.has(o)) && nativeKernel(node.op, dtype, kernels) !== undefined;
}

/**
 * Compiles a chain of on-chip nodes into launches, fusing what a tensor-unit program can finish on
 * chip: conv2d (fp16) with the bias adds, ReLU and max-pool after it; quantizedConv2d with the
 * dequantize → maxPool2d → quantize (same scale and zero point) after it, pooled as integers.
 */
export function compileChain(graph: GraphView, chain: readonly number[], kernels: readonly NpuRegistration[] = npuSimKernels): Step[] {
  const halfTensor = hasHalfTensorUnit(kernels);
  const readers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((v) => v !== "" && readers.set(v, [...(readers.get(v) ?? []), i])));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const inChain = new Set(chain);
  const fused = new Set<number>();
  /** The one node reading `value`, when it is in the chain, later than `after`, and nothing else needs the value. */
  const next = (value: string, after: number): number | undefined => {
    const r = readers.get(value);
    return r && r.length === 1 && !outputs.has(value) && inChain.has(r[0]!) && r[0]! > after && !fused.has(r[0]!) ? r[0] : undefined;
  };
  const steps: Step[] = [];
  for (const i of chain) {
    if (fused.has(i)) continue;
    const node = graph.nodes[i]!;
    const dtype = graph.values.get(node.inputs[0] ?? "")?.dtype;
    const layout = tensorLayout(graph, node, halfTensor);
    let conv = layout === undefined ? undefined : dtype === "float16" ? fuseHalfConv(graph, i, next, layout) : fuseQuantizedConv(graph, i, next, layout);
    // Nothing joined the conv program, but the engine's fused group after it (a residual add) can ride on an epilogue launch.
    if (conv?.nodes.length === 1 && dtype === "float16") conv = gemmEpilogue(graph, i, next, kernels) ?? conv;
    if (conv) {
      conv.nodes.forEach((n) => fused.add(n));
      steps.push(conv);
    } else if (VIEW_OPS.has(node.op)) steps.push(viewStep(i, node));
    else if (node.op === "cast")
      steps.push(
        kernelStep(
          i,
          node,
          streamKernel("cast", 1, ([x], k) => x![k]!),
        ),
      );
    else steps.push(kernelStep(i, node, nativeKernel(node.op, dtype!, kernels)!));
  }
  return steps;
}

function present(node: GraphNodeView): string[] {
  const ins = [...node.inputs];
  while (ins.length > 0 && ins[ins.length - 1] === "") ins.pop();
  return ins;
}

function kernelStep(index: number, node: GraphNodeView, kernel: KernelFn<HostBuffer>, nodes: readonly number[] = [index]): Step {
  const names = present(node);
  return {
    name: node.op,
    nodes,
    run(env, launch, npu) {
      const inputs = names.map((n) => env.get(n)!);
      const metas = node.op === "cast" ? [{ shape: inputs[0]!.shape, dtype: node.attrs.to as "float16" }] : getOp(node.op).infer(inputs, node.attrs);
      // A fused group or an epilogue may have several outputs (a GEMM's pre-activation beside its result).
      const outs = metas.map((m) => launch.alloc(m.dtype, m.shape));
      npu.launch(kernel, { op: node.op, inputs, outputs: outs, attrs: node.attrs });
      node.outputs.forEach((o, k) => env.set(o, outs[k]!));
    },
  };
}

/**
 * An fp16 GEMM (conv2d, or a matmul over rows) whose one reader is the engine's fused group over
 * operands of the GEMM's shape (a residual): one conv2dEpilogue / matmulEpilogue launch, so the
 * product stays on chip. Undefined when the chip has no such epilogue or the group does not fit.
 */
function gemmEpilogue(graph: GraphView, head: number, next: Next, kernels: readonly NpuRegistration[]): Step | undefined {
  const gemm = graph.nodes[head]!;
  const product = gemm.outputs[0]!;
  const reader = next(product, head);
  const group = reader === undefined ? undefined : graph.nodes[reader]!;
  const over = group && programOverValue(graph, group, product, () => true);
  const dims = (v: string | undefined) => String(v === undefined ? undefined : graph.values.get(v)?.shape);
  if (!group || !over || dims(group.outputs[0]) !== dims(product)) return undefined;
  const op = gemm.op === "conv2d" ? "conv2dEpilogue" : "matmulEpilogue";
  const kernel = nativeKernel(op, "float16", kernels);
  if (!kernel) return undefined;
  const base = present(gemm);
  const attrs = { ...gemm.attrs, baseInputs: base.length, program: JSON.stringify(over.program.steps), outputs: [...over.program.outputs] };
  return kernelStep(head, { op, inputs: [...base, ...over.operands], outputs: group.outputs, attrs }, kernel, [head, reader!]);
}

/** identity / reshape / flatten: the same contiguous DRAM seen with another shape; no data moves. */
function viewStep(index: number, node: GraphNodeView): Step {
  return {
    name: node.op,
    nodes: [index],
    run(env) {
      const x = env.get(node.inputs[0]!)!;
      if (!isContiguous(x.shape, x.strides)) throw new KernelError(`npu-sim ${node.op}: a view of a non-contiguous tensor needs a copy; not claimed`);
      // The HAL's own definition of the op (ONNX's 0 and -1, allowZero), planned on the contiguous view.
      const [plan] = planStructural(node.op as StructuralOp, { x, extra: [], attrs: node.attrs, outputCount: 1 });
      if (plan?.kind !== "view") throw new KernelError(`npu-sim ${node.op}: not a plain view of [${x.shape.join(", ")}]; not claimed`);
      env.set(node.outputs[0]!, { ...x, shape: [...plan.change.shape], strides: [...plan.change.strides] });
    },
  };
}

type Next = (value: string, after: number) => number | undefined;

/** How a tensor-unit op maps onto the conv program: as it is, or a 2-D matmul as a 1×1 conv over its rows. */
type Layout = { readonly kind: "conv" } | { readonly kind: "linear"; readonly transposeB: boolean };

function tensorLayout(graph: GraphView, node: GraphNodeView, halfTensor: boolean): Layout | undefined {
  const x = graph.values.get(node.inputs[0] ?? "");
  if (node.op === "conv2d" && x?.dtype === "float16" && halfTensor) return { kind: "conv" };
  if (node.op === "quantizedConv2d") return { kind: "conv" };
  const linear = (node.op === "matmul" && x?.dtype === "float16" && halfTensor) || node.op === "quantizedMatmul";
  if (linear && x?.shape.length === 2 && !node.attrs.transposeA) return { kind: "linear", transposeB: Boolean(node.attrs.transposeB) };
  return undefined;
}

/** A constant holding one value per output channel: [C, 1, 1] or [1, C, 1, 1] for NCHW, [C] or [1, C] for rows. */
function perChannelConstant(graph: GraphView, name: string | undefined, channels: number, layout: Layout): boolean {
  const shape = name ? graph.values.get(name)?.shape : undefined;
  if (!name || !shape || !graph.constants.has(name) || sizeOf(shape as number[]) !== channels) return false;
  const lead = shape.slice(0, -1);
  if (layout.kind === "linear") return shape.length <= 2 && lead.every((d) => d === 1);
  return shape.length === 3 ? shape[1] === 1 && shape[2] === 1 : shape.length === 4 ? shape[0] === 1 && shape[2] === 1 && shape[3] === 1 : false;
}

function outputChannels(graph: GraphView, node: GraphNodeView, weight: string, layout: Layout): number {
  const shape = graph.values.get(weight)!.shape as number[];
  return layout.kind === "linear" && !layout.transposeB ? shape[1]! : shape[0]!;
}

/**
 * conv2d or matmul (fp16) → per-channel adds, ReLUs and the engine's fused groups over per-channel
 * operands (each rounding to fp16 as its kernel would) → a maxPool2d after a conv.
 */
function fuseHalfConv(graph: GraphView, head: number, next: Next, layout: Layout): Step {
  const conv = graph.nodes[head]!;
  const channels = outputChannels(graph, conv, conv.inputs[1]!, layout);
  const epilogue: ({ kind: "relu" | "add"; operand?: string } | { kind: "program"; over: ProgramOverValue })[] = [];
  const nodes = [head];
  let value = conv.outputs[0]!;
  let pool: Attrs | undefined;
  for (let n = next(value, head); n !== undefined; n = next(value, n)) {
    const node = graph.nodes[n]!;
    if (node.op === "relu") epilogue.push({ kind: "relu" });
    else if (node.op === "add" && node.inputs.length === 2) {
      const operand = node.inputs[0] === value ? node.inputs[1] : node.inputs[0];
      if (!perChannelConstant(graph, operand, channels, layout)) break;
      epilogue.push({ kind: "add", operand });
    } else if (node.op === "fused") {
      // The engine's fused group after the GEMM: on chip like the adds and ReLUs, if its operands are per-channel.
      const over = programOverValue(graph, node, value, (o) => perChannelConstant(graph, o, channels, layout));
      if (!over) break;
      epilogue.push({ kind: "program", over });
    } else if (node.op === "maxPool2d" && layout.kind === "conv") pool = node.attrs;
    else break;
    nodes.push(n);
    value = node.outputs[0]!;
    if (pool) break;
  }
  const [x, w, b] = present(conv);
  const name = nodes.map((n) => graph.nodes[n]!.op).join("+");
  const spec = (views: Env): FusedConv => ({
    name,
    convAttrs: layout.kind === "conv" ? conv.attrs : {},
    pool,
    epilogue: epilogue.map((e): EpilogueOp => {
      if (e.kind === "program")
        return { kind: "program", program: channelProgram(name, e.over, views), perChannel: e.over.operands.map((o) => load(views.get(o)!)) };
      return e.kind === "relu" ? { kind: "relu" } : { kind: "add", perChannel: load(views.get(e.operand!)!) };
    }),
  });
  const bias = layout.kind === "conv" ? b : undefined;
  return fusedStep(
    name,
    nodes,
    value,
    x!,
    w!,
    layout,
    spec,
    (env) => fp16Mode(bias ? load(env.get(bias)!) : undefined, layout.kind === "conv" && fusedActivation("conv2d", conv.attrs) === "relu"),
    "float16",
  );
}

/**
 * quantizedConv2d → dequantizeLinear → maxPool2d → quantizeLinear with the same scale and zero
 * point: an integer max-pool on chip. quantizedMatmul runs alone on the same program.
 */
function fuseQuantizedConv(graph: GraphView, head: number, next: Next, layout: Layout): Step {
  const conv = graph.nodes[head]!;
  const q = conv.outputs[0]!;
  const dq = layout.kind === "conv" ? next(q, head) : undefined;
  const pool = dq === undefined ? undefined : next(graph.nodes[dq]!.outputs[0]!, dq);
  const requant = pool === undefined ? undefined : next(graph.nodes[pool]!.outputs[0]!, pool);
  const [dqNode, poolNode, qNode] = [dq, pool, requant].map((n) => (n === undefined ? undefined : graph.nodes[n]));
  const sameParams =
    dqNode?.op === "dequantizeLinear" &&
    poolNode?.op === "maxPool2d" &&
    qNode?.op === "quantizeLinear" &&
    dqNode.inputs[0] === q &&
    sameConstant(graph, dqNode.inputs[1], qNode.inputs[1]) &&
    sameConstant(graph, dqNode.inputs[2], qNode.inputs[2]) &&
    graph.values.get(qNode.outputs[0]!)?.dtype === graph.values.get(q)?.dtype;
  const nodes = sameParams ? [head, dq!, pool!, requant!] : [head];
  const out = sameParams ? qNode!.outputs[0]! : q;
  const [x, xs, xz, w, ws, wz, ys, yz, bias] = present(conv);
  const outDtype = graph.values.get(q)!.dtype;
  const name = nodes.map((n) => graph.nodes[n]!.op).join("+");
  const spec = (): FusedConv => ({ name, convAttrs: layout.kind === "conv" ? conv.attrs : {}, epilogue: [], pool: sameParams ? poolNode!.attrs : undefined });
  const channels = outputChannels(graph, conv, w!, layout);
  return fusedStep(
    name,
    nodes,
    out,
    x!,
    w!,
    layout,
    spec,
    (env) => {
      const [sx, sw, sy] = [scalar(env, xs!), perChannel(env, ws!, channels), scalar(env, ys!)];
      const zw = perChannel(env, wz!, channels);
      return int8Mode({
        inputZero: scalar(env, xz!),
        weightZero: zw,
        multiplier: (c) => (sx * sw(c)) / sy,
        outputZero: scalar(env, yz!),
        outputRange: integerRange(outDtype),
        bias: bias ? load(env.get(bias)!) : undefined,
        relu: layout.kind === "conv" && fusedActivation("quantizedConv2d", conv.attrs) === "relu",
      });
    },
    outDtype,
  );
}

function fusedStep(
  name: string,
  nodes: number[],
  output: string,
  x: string,
  w: string,
  layout: Layout,
  spec: (env: Env) => FusedConv,
  mode: (env: Env) => TensorMode,
  dtype: string,
): Step {
  return {
    name,
    nodes,
    run(env, launch, npu) {
      const [xv, wv] = layout.kind === "conv" ? [env.get(x)!, env.get(w)!] : asOneByOne(env.get(x)!, env.get(w)!, layout.transposeB);
      const s = spec(env);
      const shape = fusedConvShape(s, xv.shape, wv.shape);
      const out = launch.alloc(dtype as "float16", layout.kind === "conv" ? shape : shape.slice(0, 2));
      const out4 = { ...out, shape, strides: contiguousStrides(shape) };
      const m = mode(env);
      npu.launch(() => runFusedConv(npu, s, xv, wv, out4, m), { op: s.name, inputs: [xv, wv], outputs: [out4], attrs: s.convAttrs });
      env.set(output, out);
    },
  };
}

/** a[M, K] · b ([N, K] with transposeB, else [K, N]) seen as the 1×1 conv of M images [K, 1, 1] by N filters [K, 1, 1]. */
function asOneByOne(a: TensorView<HostBuffer>, b: TensorView<HostBuffer>, transposeB: boolean): [TensorView<HostBuffer>, TensorView<HostBuffer>] {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[transposeB ? 0 : 1]!;
  const [sn, sk] = transposeB ? [b.strides[0]!, b.strides[1]!] : [b.strides[1]!, b.strides[0]!];
  return [
    { ...a, shape: [M, K, 1, 1], strides: [a.strides[0]!, a.strides[1]!, 1, 1] },
    { ...b, shape: [N, K, 1, 1], strides: [sn, sk, 1, 1] },
  ];
}

/** The group's program for the vector unit: value 0 is the GEMM's fp16 result, the operands as the claim received them. */
function channelProgram(name: string, over: ProgramOverValue, views: Env) {
  const metas = [{ shape: [], dtype: "float16" as const }, ...over.operands.map((o) => ({ shape: [], dtype: views.get(o)!.dtype }))];
  return compileVectorProgram(name, over.program, metas);
}

function sameConstant(graph: GraphView, a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  const [va, vb] = [graph.constants.get(a), graph.constants.get(b)];
  return !!va && !!vb && va.length === vb.length && Array.from(va).every((v, i) => v === vb[i]);
}

function load(v: TensorView<HostBuffer>): Float64Array {
  return dmaLoad(v, elementOffsets(v.shape, v.strides, v.offset), 0, sizeOf(v.shape));
}

function scalar(env: Env, name: string): number {
  const vs = load(env.get(name)!);
  if (vs.length !== 1) throw new KernelError(`npu-sim quantizedConv2d: %${name} must be per-tensor (one value), got ${vs.length}`);
  return vs[0]!;
}

function perChannel(env: Env, name: string, channels: number): (c: number) => number {
  const vs = load(env.get(name)!);
  if (vs.length !== 1 && vs.length !== channels)
    throw new KernelError(`npu-sim quantizedConv2d: %${name} must have 1 or ${channels} entries, got ${vs.length}`);
  return vs.length === 1 ? () => vs[0]! : (c) => vs[c]!;
}
