import { PolychipError, ShapeError } from "@polychip/hal";
import { createSession, type HostOutput, type RuntimeInput, type Session } from "@polychip/engine/runtime";
import type { Graph } from "@polychip/engine/runtime";
import type { ImportOptions } from "./import/context.ts";
import { importModelProto } from "./import/importer.ts";
import { decodeModel } from "./proto/codec.ts";
import type { ModelProto } from "./proto/types.ts";

export interface OnnxSessionOptions extends Omit<ImportOptions, "inputShapes"> {
  /** Device to run on (default: the engine's default device). */
  readonly device?: string;
  /** How many input-shape signatures keep a plan (least recently used ones are dropped). Default 8. */
  readonly maxPlans?: number;
}

interface Plan {
  readonly graph: Graph;
  readonly session: Session;
}

/**
 * An ONNX model ready to run on inputs of any shape its declaration allows. The first run with
 * a new input-shape signature imports the model with the symbolic dims bound to the actual
 * sizes — every shape is then known, shape-computing subgraphs (Shape → Gather → Concat →
 * Reshape) fold with the bound values and lowerings that need sizes have them — and keeps that
 * plan for later runs with the same shapes. A shape the model cannot take is an error naming
 * the node, never a run on a guessed dimension.
 */
export class OnnxSession {
  private readonly plans = new Map<string, Plan>();
  private readonly inputNames: readonly string[];
  private disposed = false;

  private constructor(private readonly model: ModelProto, private readonly options: OnnxSessionOptions) {
    const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
    this.inputNames = (model.graph?.input ?? []).map((v) => v.name ?? "").filter((n) => n && !inits.has(n));
  }

  /** Decodes the model (a FormatError for malformed bytes); importing waits for the first run's shapes. */
  static async create(model: Uint8Array | ModelProto, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
    return new OnnxSession(model instanceof Uint8Array ? decodeModel(model) : model, options);
  }

  /** The model's run-time input names, in order. */
  get inputs(): readonly string[] {
    return this.inputNames;
  }

  /** How many input-shape signatures have a plan now. */
  get planCount(): number {
    return this.plans.size;
  }

  async run(feeds: Readonly<Record<string, RuntimeInput>>): Promise<Record<string, HostOutput>> {
    const plan = await this.planFor(feeds);
    return plan.session.run(feeds);
  }

  /** The graph planned for these inputs' shapes (imported and cached on first use). */
  async planFor(feeds: Readonly<Record<string, RuntimeInput>>): Promise<Plan> {
    if (this.disposed) throw new PolychipError("this ONNX session was disposed");
    const shapes: Record<string, readonly number[]> = {};
    for (const name of this.inputNames) {
      const shape = feeds[name]?.shape;
      if (shape === undefined) continue; // the runtime names the missing input
      if (!Array.isArray(shape)) throw new ShapeError(`input '${name}': shape must be an array of sizes, got ${JSON.stringify(shape)}`);
      shapes[name] = shape;
    }
    const signature = JSON.stringify(this.inputNames.map((n) => shapes[n] ?? null));
    const cached = this.plans.get(signature);
    if (cached) {
      this.plans.delete(signature);
      this.plans.set(signature, cached);
      return cached;
    }
    const graph = importModelProto(this.model, this.importOptions(shapes)).graph;
    const session = await createSession(graph, this.options.device ? { device: this.options.device } : {});
    const plan = { graph, session };
    this.plans.set(signature, plan);
    const limit = this.options.maxPlans ?? 8;
    while (this.plans.size > limit) {
      const [oldest, dropped] = this.plans.entries().next().value as [string, Plan];
      dropped.session.dispose();
      this.plans.delete(oldest);
    }
    return plan;
  }

  dispose(): void {
    this.disposed = true;
    for (const plan of this.plans.values()) plan.session.dispose();
    this.plans.clear();
  }

  private importOptions(inputShapes: Record<string, readonly number[]>): ImportOptions {
    const { device: _device, maxPlans: _maxPlans, ...importOptions } = this.options;
    return { ...importOptions, inputShapes };
  }
}
