import type { Attrs, Device, DeviceBuffer, TensorView } from "./device.ts";
import type { DType } from "./dtype.ts";
import type { KernelRegistration } from "./registry.ts";

/**
 * What a device package exports (its HAL entry point): a factory and its one registration list.
 * Loading a plugin = checking `halVersion`, calling `create`, registering `kernels`.
 */
export interface DevicePlugin<Options = Record<string, unknown>> {
  readonly name: string;
  readonly halVersion: string;
  create(options?: Options): Device<any> | Promise<Device<any>>;
  readonly kernels: readonly KernelRegistration<any>[];
  /**
   * Optional whole-subgraph compilation (level 2, see hal/README.md, "Two levels"): given a graph
   * a session is about to run on `device`, return the groups of nodes the plugin runs itself, each
   * as one unit. Called once per session; whatever is not claimed runs op by op.
   */
  readonly claimSubgraphs?: ClaimSubgraphs<any>;
  /**
   * (HAL 1.5) The plugin's claims take the engine's fused groups: sessions on this device run the
   * fusion passes first and offer the graph with `fused` and GEMM epilogue nodes. Without it a
   * plugin that claims subgraphs is offered the graph as written, unfused, so its claims keep
   * matching the ops a model was built from.
   */
  readonly claimsFusedGroups?: boolean;
  /**
   * (HAL 1.6) The activation layout the device runs a convolution fastest in. Sessions ask once per
   * conv2d node before running; where the answer is "nhwc" they run it as `conv2dNhwc` and keep
   * the chain of layout-agnostic ops around it channels-last, with transposes only where the chain
   * meets the rest of the graph. Without it (or answering "nchw") every conv stays NCHW.
   */
  readonly preferredConvLayout?: (conv: ConvLayoutQuery) => ConvLayout;
}

export type ConvLayout = "nchw" | "nhwc";

/** One conv2d node as the graph has it (NCHW shapes), for `DevicePlugin.preferredConvLayout`. */
export interface ConvLayoutQuery {
  readonly dtype: DType;
  /** [N, C, H, W]; a symbol ("batch") for a dim fixed only at run time. */
  readonly inputShape: readonly (number | string)[];
  /** [OC, C/groups, KH, KW]. */
  readonly weightShape: readonly number[];
  /** strides, pads, dilations, groups, as conv2d takes them. */
  readonly attrs: Attrs;
}

export type ClaimSubgraphs<B extends DeviceBuffer = DeviceBuffer> = (graph: GraphView, device: Device<B>) => readonly SubgraphClaim<B>[];

/**
 * The graph a session offers a plugin: the HAL's own minimal view of the engine's graph IR, so a
 * plugin never imports the engine. Node ops are HAL ops or the engine's structural ops (reshape,
 * flatten, permute, slice, expand, squeeze, unsqueeze, identity, constant, shape, size, split),
 * which only re-view memory or compute shapes.
 */
export interface GraphView {
  readonly name: string;
  readonly inputs: readonly GraphValueView[];
  readonly outputs: readonly GraphValueView[];
  /** In execution order; a claim names nodes by their index here. */
  readonly nodes: readonly GraphNodeView[];
  /** dtype and shape of every value the engine could infer before running. */
  readonly values: ReadonlyMap<string, GraphValueView>;
  /** Host values (row-major) of what is fixed before running: initializers (weights) and constants. */
  readonly constants: ReadonlyMap<string, ArrayLike<number>>;
}

export interface GraphValueView {
  readonly name: string;
  readonly dtype: DType;
  /** Sizes, or a symbol ("batch") for a dim fixed only at run time. */
  readonly shape: readonly (number | string)[];
}

export interface GraphNodeView {
  readonly op: string;
  /** Value names; "" is an absent optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
}

/**
 * One group of nodes a plugin runs as a unit. The session runs it where its first node stands,
 * hands it the values in `inputs` (graph inputs, weights, or outputs of earlier nodes) and takes
 * back the values in `outputs` — every value the claimed nodes produce that anything outside the
 * claim reads, graph outputs included. Values that stay inside never exist outside the device.
 */
export interface SubgraphClaim<B extends DeviceBuffer = DeviceBuffer> {
  /** Shown in profiles and errors ("conv2d+relu+maxPool2d"). */
  readonly name: string;
  /** Indices into GraphView.nodes, ascending. */
  readonly nodes: readonly number[];
  /** Values read from outside the claim, in the order `run` receives them. */
  readonly inputs: readonly string[];
  /** Values produced inside and read outside, in the order `run` returns them. */
  readonly outputs: readonly string[];
  /**
   * Runs the group (synchronously queued work, like a kernel launch) and returns one view per
   * output. Each returned view must lie in memory from `launch.alloc` (any shape, strides and
   * offset within it) or in one of the inputs' buffers. Throwing hands the nodes back to the
   * engine, which runs them op by op and reports the fallback.
   */
  run(launch: SubgraphLaunch<B>, device: Device<B>): readonly TensorView<B>[];
}

export interface SubgraphLaunch<B extends DeviceBuffer = DeviceBuffer> {
  /** The claim's inputs, in the order of `SubgraphClaim.inputs`; contiguous or not. */
  readonly inputs: readonly TensorView<B>[];
  /**
   * Contiguous device memory accounted by the engine, for outputs and intermediates alike; what
   * the run does not return is freed once it has finished.
   */
  alloc(dtype: DType, shape: readonly number[]): TensorView<B>;
}
