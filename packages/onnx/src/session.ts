import { DTypeError, getOp, hasOp, hostArray, PolychipError, ShapeError, UnsupportedOpError, type DType } from "@polychip/hal";
import {
  createSession,
  isRawView,
  readHost,
  SharedWeights,
  type Graph,
  type HostOutput,
  type HostTensor as HostFeed,
  type RuntimeInput,
  type Session,
} from "@polychip/engine/runtime";
import { REMEMBERED_INPUT_VALUES, RunTimeValueError, type ImportOptions } from "./import/context.ts";
import { polychipFeeds } from "./onnx-feeds.ts";
import { HostStepNeeded, isStringValue, MAX_FROZEN_VALUE } from "./import/host-step.ts";
import { StringsNeededAtImport } from "./import/string-host-steps.ts";
import { importModelProto, withFailingNodeOf } from "./import/importer.ts";
import { SharedConstants } from "./import/shared-constants.ts";
import { runHostStep, type HostStepSource } from "./host-step-run.ts";
import type { BoundedCache } from "@polychip/engine/core";
import { planCache, planCacheStats, type PlanCacheStats } from "./plan-cache.ts";
import { LastRun } from "./last-run.ts";
import { decodeModel } from "./proto/codec.ts";
import type { ModelProto, TypeProto } from "./proto/types.ts";
import { assembleValue, flattenValue, layoutTensors, type OnnxValue, type ValueLayout } from "./containers.ts";

/** A feed of any ONNX input type: a tensor, a string tensor, a sequence (an array of tensors), an optional (null or undefined when absent). */
export type OnnxFeed = OnnxValue<RuntimeInput> | StringFeed;
/** An output of any ONNX type, as `runValues` returns it: a tensor, a string tensor, a sequence (an array), an optional (its value, or null). */
export type OnnxResult = OnnxValue<HostOutput> | StringTensor;
/** A STRING input's feed: its strings in row-major order and its shape (dtype "string" optional). */
export interface StringFeed {
  readonly dtype?: "string";
  readonly shape: readonly number[];
  readonly data: readonly string[];
}
import { emptyStages, fedKey, fedMetas, releaseStages, StagedGraph, type Stages } from "./stages.ts";
import { firstOffGrid, isHeldType } from "./low-precision.ts";
import { dtypeForOnnx, onnxTypeName, type HostTensor } from "./tensor.ts";
import { stringFeed, type StringTensor } from "./strings.ts";
import { DataType } from "./proto/types.ts";

export interface OnnxSessionOptions
  extends Omit<ImportOptions, "inputShapes" | "knownValues" | "outputs" | "computesRunTimeValues" | "shared" | "stringShapes"> {
  /** Device to run on (default: the engine's default device). */
  readonly device?: string;
  /** How many plans (input-shape signatures, with their run-time values) are kept; least recently used are dropped. Default 8. */
  readonly maxPlans?: number;
  /**
   * How many plans of the part of a model after a host step (NonZero, NonMaxSuppression, …) are
   * kept, one per count the step returned; least recently used are dropped. Default 16, raised to
   * twice the count plans one run uses (a model with many host steps); a value given here is kept.
   */
  readonly maxCountPlans?: number;
}

/** What a cache holds per key: a plan, or the host step its import stopped at (so later runs go straight to the step). */
type Cached = Plan | HostStepNeeded;

interface Plan {
  readonly graph: Graph;
  readonly session: Session;
  /** The shared weight folds its import used (released when the plan is dropped). */
  readonly folds: ReadonlySet<string>;
  /**
   * The values computed from the data that this plan was imported with (an If's condition, a
   * Range's limit): a plan holds only what these values select, so other data may need another plan.
   */
  readonly assumed: Readonly<Record<string, HostTensor>>;
  /** The graph inputs the plan reads (the others were frozen into it as constants). */
  readonly reads: readonly string[];
  /** The sequence and optional outputs, whose tensors are graph outputs under path names (see containers.ts). */
  readonly outputLayouts: Readonly<Record<string, ValueLayout>>;
  /** The STRING outputs computed on the host when the plan was imported (from STRING initializers, or string feeds when the session plans per string value). */
  readonly stringOutputs: Readonly<Record<string, StringTensor>>;
  /** The STRING outputs only a run knows: the host value each is (a STRING input, a host step's result in the run's stages). */
  readonly deferredStringOutputs: Readonly<Record<string, string>>;
  /**
   * A prefix plan's results by the values of the inputs its nodes read (`dependsOn`), when it is
   * a pure function of a few small host inputs (an If on the sample-rate input): later runs
   * with the same values skip the prefix run.
   */
  readonly results?: Map<string, HostTensor>;
  readonly dependsOn?: readonly string[];
  /** A stage of a staged run (see StagedGraph): the ONNX nodes it runs, its outputs later stages read, and those it knew at import. */
  readonly stage?: { readonly lowered: readonly number[]; readonly fed: readonly string[]; readonly constants: Readonly<Record<string, HostTensor>> };
}

/** What finding one run's plan knows so far: its input-shape signature, the values computed for it, the staged results. */
interface RunState {
  readonly signature: string;
  readonly shapes: Record<string, readonly number[]>;
  /** The sequence and optional inputs' layouts (their tensors' shapes are in `shapes`). */
  readonly layouts: Readonly<Record<string, ValueLayout>>;
  readonly known: Record<string, HostTensor>;
  readonly feeds: Readonly<Record<string, RuntimeInput>>;
  /** The STRING inputs' values: the string ops read them in host steps (their shapes are part of the plan's key; their values too when `stringsPerValue`). */
  readonly strings: Readonly<Record<string, StringTensor>>;
  readonly stages: Stages | undefined;
  readonly selectors: Selectors;
}

/**
 * The graph inputs whose values the run-time values found so far are a function of, when each is
 * (an input of at most REMEMBERED_INPUT_VALUES values, or the remembered result of a prefix that
 * reads only such inputs); `keyable` false once one is not (a value computed from audio).
 */
interface Selectors {
  readonly names: Set<string>;
  keyable: boolean;
}

/** How many results a prefix plan keeps by input values (oldest dropped). */
const MAX_REMEMBERED_RESULTS = 16;

/** How many run-time values one signature may need before the model is refused (each costs a prefix run). */
const MAX_RUN_TIME_VALUES = 64;

/**
 * An ONNX model ready to run on inputs of any shape its declaration allows.
 *
 * The first run with a new input-shape signature imports the model with the symbolic dims bound
 * to the actual sizes — every shape is then known, shape-computing subgraphs (Shape → Gather →
 * Concat → Reshape) fold with the bound values, lowerings that need sizes have them — and keeps
 * that plan for later runs with the same shapes.
 *
 * Some lowerings need a value that depends on the data (an If's condition, Range's limit read
 * from an input). For those the session runs the model's prefix that computes the value, then
 * imports with it known (the taken branch is inlined with the outer-scope values); the plan is
 * kept per signature and value. A shape or value the model cannot take is an error naming the
 * input or node, never a run on a guessed dimension.
 *
 * Ops whose result size depends on the data (NonZero, NonMaxSuppression, …) are host steps
 * (import/host-step.ts): the run goes in stages — the part of the model before the step (planned
 * once per signature), the step on the host, then the rest, planned per shape of the step's
 * results (the count) and reading them as inputs.
 */
export class OnnxSession {
  /** Plans by input-shape signature (and frozen values): full models, prefixes, stages before a host step. */
  private readonly plans: BoundedCache<Cached>;
  /** Plans of what follows a host step, by its results' shapes (the counts). */
  private readonly countPlans: BoundedCache<Cached>;
  /** Count-plan lookups in the current run (sizes countPlans; approximate when runs overlap). */
  private countLookups = 0;
  /** Per input-shape signature: the run-time values its import needs, in the order found. */
  private readonly needed = new Map<string, string[]>();
  private readonly inputNames: readonly string[];
  /** The sequence and optional inputs, by name: a run's feeds for them are split into their tensors. */
  private readonly containerInputs = new Map<string, TypeProto>();
  /** Inputs of a low-precision ONNX type (bfloat16, float8, int4, …), by name: their feeds are checked. */
  private readonly heldInputs = new Map<string, number>();
  /** The STRING inputs: their feeds stay on the host (strings.ts). */
  private readonly stringInputs = new Set<string>();
  private readonly topLevelValues: ReadonlySet<string>;
  /** Models that draw random values compute their run-time values in stages (see StagedGraph). */
  private readonly alwaysStaged: boolean;
  /** Input-shape signatures whose runs meet a host step: they run in stages too. */
  private readonly stagedSignatures = new Set<string>();
  private stagedGraph: StagedGraph | undefined;
  /**
   * Whether string ops run at import with the string feeds known, one plan per string value: only
   * when a string op reads a string only a run knows where no host step can run (a Loop body's).
   */
  private stringsPerValue = false;
  /** Initializers decoded once and weight folds kept while a plan uses them: every plan's import reads the same arrays. */
  private readonly shared = new SharedConstants();
  /** The device buffers of those arrays: a plan shares them with the other plans instead of uploading its own copy. */
  private readonly weights = new SharedWeights();
  /** The last run's input shapes (and the small input values that selected its plan), when nothing else selected it (no stages, no other computed values). */
  private last: LastRun<Plan> | undefined;
  private disposed = false;

  private constructor(
    private readonly model: ModelProto,
    private readonly options: OnnxSessionOptions,
  ) {
    const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
    this.inputNames = (model.graph?.input ?? []).map((v) => v.name ?? "").filter((n) => n && !inits.has(n));
    for (const v of model.graph?.input ?? [])
      if (v.name && !inits.has(v.name) && (v.type?.sequenceType || v.type?.optionalType)) this.containerInputs.set(v.name, v.type);
    for (const v of model.graph?.input ?? []) {
      const type = v.type?.tensorType?.elemType ?? 0;
      if (v.name && !inits.has(v.name) && isHeldType(type)) this.heldInputs.set(v.name, type);
      if (v.name && !inits.has(v.name) && type === DataType.STRING) this.stringInputs.add(v.name);
    }
    this.topLevelValues = new Set((model.graph?.node ?? []).flatMap((n) => n.output ?? []).filter(Boolean));
    this.alwaysStaged = StagedGraph.wanted(model);
    const release = (entry: Cached) => entry instanceof HostStepNeeded || this.drop(entry);
    this.plans = planCache(options.maxPlans ?? 8, "maxPlans", release);
    this.countPlans = planCache(options.maxCountPlans ?? 16, "maxCountPlans", release, options.maxCountPlans === undefined);
  }

  /** Decodes the model (a FormatError for malformed bytes); importing waits for the first run's shapes. */
  static async create(model: Uint8Array | ModelProto, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
    return new OnnxSession(model instanceof Uint8Array ? decodeModel(model) : model, options);
  }

  /** The model's run-time input names, in order. */
  get inputs(): readonly string[] {
    return this.inputNames;
  }

  /**
   * The ONNX element type of each graph output as the model declares it ("FLOAT", "BFLOAT16",
   * "FLOAT8E4M3FN", "INT4", …). run() returns each in the HAL dtype that holds its values exactly
   * (bfloat16, float8, float4 and e8m0 in float32; int4/int2 in int8; uint4/uint2 in uint8).
   */
  get outputTypes(): Readonly<Record<string, string>> {
    return Object.fromEntries((this.model.graph?.output ?? []).map((v) => [v.name ?? "", onnxTypeName(v.type?.tensorType?.elemType ?? 0)]));
  }

  /** How many plans are kept now (prefix plans that compute run-time values included). */
  get planCount(): number {
    return [...this.plans.values(), ...this.countPlans.values()].filter((p) => !(p instanceof HostStepNeeded)).length;
  }

  /** What planning cost so far: `shapes` for plans by input-shape signature, `counts` for plans by a host step's counts. */
  get planStats(): { readonly shapes: PlanCacheStats; readonly counts: PlanCacheStats } {
    return { shapes: planCacheStats(this.plans), counts: planCacheStats(this.countPlans) };
  }

  /**
   * Runs on these inputs; int64 and float64 feeds (ONNX's types, BigInt64Array included) are taken
   * as int32 and float32. A sequence input is an array of tensors, an optional one a tensor (or
   * array) or null/undefined when absent; a model with sequence or optional outputs runs with
   * `runValues`.
   */
  run(given: Readonly<Record<string, OnnxFeed>>): Promise<Record<string, HostOutput>> {
    // The shapes (and selecting values) of the last run again: no signature to build, and the
    // plan's own promise is returned (an async wrapper would add turns to each run).
    let feeds: Readonly<Record<string, RuntimeInput>>;
    let layouts: Record<string, ValueLayout>;
    let strings: Record<string, StringTensor>;
    try {
      ({ feeds, layouts, strings } = this.flatten(given));
      const repeated = !this.disposed && this.last?.matches(this.inputNames, feeds) ? this.last.plan : undefined;
      if (repeated) return repeated.session.run(inputsOf(repeated, feeds, undefined));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.runPlanned(feeds, layouts, strings, true).then((r) => r.outputs);
  }

  /** Runs on these inputs (as `run`) and returns every output as its ONNX type: a sequence as an array, an optional as its value or null. */
  async runValues(given: Readonly<Record<string, OnnxFeed>>): Promise<Record<string, OnnxResult>> {
    const { feeds, layouts, strings } = this.flatten(given);
    const { plan, outputs, stringOutputs } = await this.runPlanned(feeds, layouts, strings);
    const results: Record<string, OnnxResult> = {};
    for (const o of this.model.graph?.output ?? []) {
      const name = o.name ?? "";
      const layout = plan.outputLayouts[name];
      results[name] = stringOutputs[name] ?? (layout ? assembleValue(layout, outputs) : outputs[name]);
    }
    return results;
  }

  /** Plans and runs; `tensorsOnly` (run()) refuses a plan with sequence or optional outputs before running it. */
  private async runPlanned(
    feeds: Readonly<Record<string, RuntimeInput>>,
    layouts: Record<string, ValueLayout>,
    strings: Readonly<Record<string, StringTensor>>,
    tensorsOnly = false,
  ) {
    const { plan, stages, selectedBy } = await this.prepare(feeds, layouts, strings);
    try {
      const containers = Object.keys(plan.outputLayouts);
      if (tensorsOnly && containers.length > 0)
        throw new PolychipError(`output '${containers[0]}' is a sequence or optional: run this model with session.runValues(feeds), which returns it as such`);
      const stringNames = [...Object.keys(plan.stringOutputs), ...Object.keys(plan.deferredStringOutputs)];
      if (tensorsOnly && stringNames.length > 0)
        throw new PolychipError(`output '${stringNames[0]}' is a STRING tensor: run this model with session.runValues(feeds), which returns its strings`);
      const stringOutputs: Record<string, StringTensor> = { ...plan.stringOutputs };
      for (const [name, source] of Object.entries(plan.deferredStringOutputs)) {
        const value = stages?.host.get(source) ?? strings[source];
        if (!isStringValue(value)) throw new PolychipError(`OnnxSession: the STRING output '${name}' (host value '${source}') was not computed in this run`);
        stringOutputs[name] = value;
      }
      // The last-run shortcut returns the plan's tensors as they are: only for plain tensor inputs and outputs.
      this.last =
        selectedBy && Object.keys(layouts).length === 0 && containers.length === 0 && this.stringInputs.size === 0
          ? new LastRun(plan, this.inputNames, feeds, selectedBy)
          : undefined;
      return { plan, outputs: await plan.session.run(inputsOf(plan, feeds, stages)), stringOutputs };
    } finally {
      releaseStages(stages);
    }
  }

  /** The graph planned for these inputs (imported and kept on first use). */
  async planFor(given: Readonly<Record<string, OnnxFeed>>): Promise<Plan> {
    const { feeds, layouts, strings } = this.flatten(given);
    const { plan, stages } = await this.prepare(feeds, layouts, strings);
    releaseStages(stages);
    return plan;
  }

  /** The feeds with each sequence or optional input split into its tensors (containers.ts), and those inputs' layouts. */
  private flatten(given: Readonly<Record<string, OnnxFeed>>): {
    feeds: Readonly<Record<string, RuntimeInput>>;
    layouts: Record<string, ValueLayout>;
    strings: Record<string, StringTensor>;
  } {
    const strings: Record<string, StringTensor> = {};
    if (this.stringInputs.size > 0) {
      const rest: Record<string, OnnxFeed> = {};
      for (const [name, value] of Object.entries(given)) {
        if (!this.stringInputs.has(name)) rest[name] = value;
        else if (!value || Array.isArray(value) || !Array.isArray((value as StringFeed).data))
          throw new DTypeError(`input '${name}' is a STRING tensor: feed { shape, data } with data an array of strings`);
        else strings[name] = stringFeed(name, value as StringFeed);
      }
      for (const name of this.stringInputs) if (!strings[name]) throw new PolychipError(`input '${name}' (a STRING tensor) is missing`);
      given = rest;
    }
    const layouts: Record<string, ValueLayout> = {};
    let feeds: Readonly<Record<string, RuntimeInput>>;
    if (this.containerInputs.size === 0) feeds = polychipFeeds(given as Readonly<Record<string, RuntimeInput>>);
    else {
      const flat: Record<string, RuntimeInput> = {};
      for (const [name, value] of Object.entries(given)) {
        const type = this.containerInputs.get(name);
        if (type) layouts[name] = flattenValue(name, type, value, flat);
        else if (value !== null && value !== undefined) flat[name] = value as RuntimeInput;
      }
      for (const [name, type] of this.containerInputs) if (!layouts[name]) layouts[name] = flattenValue(name, type, undefined, flat);
      feeds = polychipFeeds(flat);
    }
    if (this.heldInputs.size > 0) this.checkHeldInputs(feeds);
    return { feeds, layouts, strings };
  }

  /**
   * The plan for these inputs, with the results of the stages run to find it (the caller releases
   * them) and, when the plan is selected by the input shapes and the values of a few small inputs
   * only, the names of those inputs.
   */
  private async prepare(
    feeds: Readonly<Record<string, RuntimeInput>>,
    layouts: Readonly<Record<string, ValueLayout>>,
    strings: Readonly<Record<string, StringTensor>>,
  ): Promise<{ plan: Plan; stages?: Stages; selectedBy?: readonly string[] }> {
    try {
      return await this.prepareFor(feeds, layouts, strings);
    } catch (err) {
      if (!(err instanceof StringsNeededAtImport) || this.stringsPerValue) throw err;
      // A string op only an import with the strings known can run: from now on, plans are per string value.
      this.stringsPerValue = true;
      return this.prepareFor(feeds, layouts, strings);
    }
  }

  /** The STRING inputs as part of a plan key: their shapes (the string ops run per run, as host steps), or their values when `stringsPerValue`. */
  private stringsKey(strings: Readonly<Record<string, StringTensor>>): string {
    if (this.stringsPerValue) return JSON.stringify(strings);
    return Object.entries(strings)
      .map(([name, t]) => `${name}[${t.shape.join(",")}]`)
      .join(";");
  }

  private async prepareFor(
    feeds: Readonly<Record<string, RuntimeInput>>,
    layouts: Readonly<Record<string, ValueLayout>>,
    strings: Readonly<Record<string, StringTensor>>,
  ): Promise<{ plan: Plan; stages?: Stages; selectedBy?: readonly string[] }> {
    if (this.disposed) throw new PolychipError("this ONNX session was disposed");
    const tensors = Object.values(layouts).flatMap(layoutTensors);
    const shapes = this.shapesOf(feeds, tensors);
    this.countLookups = 0;
    // A sequence's length and an optional's presence select the plan, as the shapes of their tensors do.
    const signature =
      [...this.inputNames, ...tensors].map((n) => (shapes[n] ? `[${shapes[n].join(",")}]` : "-")).join(";") +
      (Object.keys(layouts).length ? `|${JSON.stringify(layouts)}` : "") +
      (Object.keys(strings).length ? `|strings:${this.stringsKey(strings)}` : "");
    const needed = this.needed.get(signature) ?? [];
    this.needed.set(signature, needed);
    const known: Record<string, HostTensor> = {};
    const selectors: Selectors = { names: new Set(), keyable: true };
    let stages = this.alwaysStaged || this.stagedSignatures.has(signature) ? emptyStages() : undefined;
    try {
      for (;;) {
        const run: RunState = { signature, shapes, layouts, known, feeds, strings, stages, selectors };
        let step: HostStepNeeded;
        try {
          for (const name of needed) if (!known[name]) known[name] = await this.compute(name, run);
          const plan = await this.finalPlan(run);
          if (plan) return { plan, stages, ...(!stages && selectors.keyable ? { selectedBy: [...selectors.names] } : {}) };
          continue;
        } catch (err) {
          if (!(err instanceof HostStepNeeded)) throw err;
          step = err;
        }
        if (stages) {
          const pending = step;
          await runHostStep(pending.step, this.hostSource(run, stages)).catch((err: unknown) => {
            throw withFailingNodeOf(err, pending);
          });
        } else {
          // The first host step of this signature: its runs go in stages from now on, so the part before the step runs once.
          this.stagedSignatures.add(signature);
          for (const name of Object.keys(known)) delete known[name];
          stages = emptyStages();
        }
      }
    } catch (err) {
      releaseStages(stages);
      throw err;
    }
  }

  /** The plan of the whole model (or of what the stages left) with the values found so far; undefined when it needs another value (added to `needed`). */
  private async finalPlan({ signature, shapes, layouts, known, strings, stages }: RunState): Promise<Plan | undefined> {
    const needed = this.needed.get(signature)!;
    // Before any stage ran, a staged import is the plain one: they share a key (and the host step found there).
    const staged = stages !== undefined && (stages.done.size > 0 || stages.host.size > 0);
    const key = `${signature}|${valuesKey(known)}${staged ? `|staged:${fedKey(stages)}` : ""}`;
    const bound = stages
      ? { inputShapes: shapes, inputLayouts: layouts, strings, knownValues: { ...stages.constants, ...known }, done: stages.done, fed: fedMetas(stages) }
      : { inputShapes: shapes, inputLayouts: layouts, strings, knownValues: { ...known } };
    try {
      return await this.plan(key, bound, known, stages !== undefined && stages.host.size > 0);
    } catch (err) {
      const value = err instanceof RunTimeValueError ? err.value : undefined;
      const computable = value !== undefined && (this.topLevelValues.has(value) || this.inputNames.includes(value) || (err as RunTimeValueError).inlined);
      if (!computable || needed.includes(value)) throw err;
      if (needed.length >= MAX_RUN_TIME_VALUES)
        throw new UnsupportedOpError(`${(err as Error).message} (the model needs more than ${MAX_RUN_TIME_VALUES} values computed per run)`);
      needed.push(value);
      return undefined;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.plans.clear();
    this.countPlans.clear();
    this.shared.clear();
  }

  private drop(plan: Plan): void {
    if (this.last?.plan === plan) this.last = undefined;
    plan.session.dispose();
    this.shared.release(plan.folds);
  }

  private shapesOf(feeds: Readonly<Record<string, RuntimeInput>>, containerTensors: readonly string[]): Record<string, readonly number[]> {
    const shapes: Record<string, readonly number[]> = {};
    for (const name of [...this.inputNames, ...containerTensors]) {
      const shape = feeds[name]?.shape;
      if (shape === undefined) continue; // the runtime names the missing input
      if (!Array.isArray(shape)) throw new ShapeError(`input '${name}': shape must be an array of sizes, got ${JSON.stringify(shape)}`);
      shapes[name] = shape;
    }
    return shapes;
  }

  /** Runs the prefix of the model that produces `name` (with the values found before it known). */
  private async compute(name: string, run: RunState): Promise<HostTensor> {
    const { signature, shapes, layouts, known, feeds, strings, stages, selectors } = run;
    if (this.inputNames.includes(name)) {
      const value = this.inputValue(name, feeds);
      if (value.data.length <= REMEMBERED_INPUT_VALUES) selectors.names.add(name);
      else selectors.keyable = false;
      return value;
    }
    if (stages) {
      selectors.keyable = false;
      return this.computeStaged(name, run, stages);
    }
    const prefix = await this.plan(`${signature}|${valuesKey(known)}|prefix:${name}`, {
      inputShapes: shapes,
      strings,
      inputLayouts: layouts,
      knownValues: { ...known },
      outputs: [name],
    });
    const key = prefix.results && inputValuesKey(prefix.dependsOn!, feeds);
    if (key === undefined) selectors.keyable = false;
    else for (const input of prefix.dependsOn!) selectors.names.add(input);
    const remembered = key !== undefined ? prefix.results!.get(key) : undefined;
    if (remembered) return remembered;
    const value = checkedValue(name, (await prefix.session.run(feeds))[name]!);
    if (key !== undefined) {
      prefix.results!.set(key, value);
      if (prefix.results!.size > MAX_REMEMBERED_RESULTS) prefix.results!.delete(prefix.results!.keys().next().value!);
    }
    return value;
  }

  /**
   * `name` computed by the next stage of a staged run: the nodes up to it that earlier stages did
   * not run, reading what they left (or read back from them, when an earlier stage computed it).
   * Later plans hold it as a constant.
   */
  private async computeStaged(name: string, run: RunState, stages: Stages): Promise<HostTensor> {
    const computed = stages.fed.get(name);
    if (computed) return checkedValue(name, await readHost(computed));
    // A value inside an inlined If branch (a nested If's condition): stages run whole top-level nodes.
    const inBranch = !this.topLevelValues.has(name) && !this.inputNames.includes(name);
    const values = inBranch ? await this.runUpTo([name], run, stages) : await this.runStage([name], run, stages, true);
    return checkedValue(name, values[name]!);
  }

  /**
   * Runs the next stage of a staged run, up to `names`: the nodes earlier stages did not run,
   * reading what they left. Returns the values of `names` read back; what later nodes read stays on
   * the device for them (`names` too, unless `frozen`: later plans then hold those as constants).
   */
  private async runStage(
    names: readonly string[],
    { signature, shapes, layouts, known, feeds, strings }: RunState,
    stages: Stages,
    frozen: boolean,
  ): Promise<Record<string, HostOutput>> {
    const graph = (this.stagedGraph ??= new StagedGraph(this.model.graph!));
    const lowered = graph.lowersAll(names, stages.done);
    const frontier = graph.frontier(lowered, stages.done).filter((v) => !names.includes(v));
    const stage = await this.plan(
      `${signature}|${valuesKey(known)}|stage:${names.join(",")}|${fedKey(stages)}`,
      {
        inputShapes: shapes,
        strings,
        inputLayouts: layouts,
        knownValues: { ...stages.constants, ...known },
        outputs: [...names, ...frontier],
        done: stages.done,
        fed: fedMetas(stages),
      },
      known,
      stages.host.size > 0,
    );
    const ran = stage.stage!.lowered;
    if (ran.length !== lowered.length || ran.some((i, k) => i !== lowered[k]))
      throw new PolychipError(
        `staged run: computing ${names.map((n) => `'${n}'`).join(", ")} lowered other ONNX nodes than the stage planned (${ran.length} for ${lowered.length})`,
      );
    const views = await stage.session.runViews(inputsOf(stage, feeds, stages));
    const values: Record<string, HostOutput> = {};
    try {
      for (const name of names) values[name] = await readHost(views[name]!);
    } catch (err) {
      for (const v of Object.values(views)) v.storage.release();
      throw err;
    }
    for (const [output, v] of Object.entries(views)) {
      if (stage.stage!.fed.includes(output) && !(frozen && names.includes(output))) stages.fed.set(output, v);
      else v.storage.release();
    }
    for (const i of ran) stages.done.add(i);
    Object.assign(stages.constants, stage.stage!.constants);
    return values;
  }

  /** Where a host step of this run reads its values (see host-step-run.ts). */
  private hostSource(run: RunState, stages: Stages): HostStepSource {
    return {
      stages,
      isInput: (name) => this.inputNames.includes(name),
      input: async (name) => {
        if (this.stringInputs.has(name)) return run.strings[name]!;
        const feed = run.feeds[name];
        if (feed && isRawView(feed)) return readHost(feed);
        return this.hostCopy(name, feed);
      },
      computed: (names) => this.runStage(names, run, stages, false),
      isTopLevel: (name) => this.topLevelValues.has(name),
      computedInBranch: (names) => this.runUpTo(names, run, stages),
    };
  }

  /**
   * The values of `names` (computed inside an inlined If branch) for a host step: the part of the
   * model the stages left, up to them, imported as the step's own import was (same nodes done, same
   * values fed and known, so the branch's values take the same names) and read back. Nothing is
   * marked done: the If runs whole in a later stage.
   */
  private async runUpTo(
    names: readonly string[],
    { signature, shapes, layouts, known, feeds, strings }: RunState,
    stages: Stages,
  ): Promise<Record<string, HostOutput>> {
    const done = [...stages.done].sort((a, b) => a - b).join(",");
    const prefix = await this.plan(
      `${signature}|${valuesKey(known)}|branch:${names.join(",")}|done:${done}|${fedKey(stages)}`,
      {
        inputShapes: shapes,
        strings,
        inputLayouts: layouts,
        knownValues: { ...stages.constants, ...known },
        outputs: [...names],
        done: stages.done,
        fed: fedMetas(stages),
      },
      known,
      stages.host.size > 0,
    );
    const out = await prefix.session.run(inputsOf(prefix, feeds, stages));
    return Object.fromEntries(names.map((name) => [name, out[name]!]));
  }

  /** An input's values, for a lowering that needs them at import (the plan then holds them as constants). */
  private inputValue(name: string, feeds: Readonly<Record<string, RuntimeInput>>): HostTensor {
    const feed = feeds[name];
    if (feed && isRawView(feed))
      throw new UnsupportedOpError(`input '${name}' is needed to plan the model: pass it as host data (values and shape), not a device view`);
    if (feed && feed.data.length > MAX_FROZEN_VALUE)
      throw new UnsupportedOpError(`input '${name}' is needed to plan the model but holds ${feed.data.length} values (at most ${MAX_FROZEN_VALUE})`);
    return this.hostCopy(name, feed);
  }

  /** A host input's values in its dtype (the declared one when the feed names none). */
  private hostCopy(name: string, feed: HostFeed | undefined): HostTensor {
    if (!feed) throw new PolychipError(`input '${name}' is missing; the model's inputs are ${this.inputNames.join(", ")}`);
    const dtype = feed.dtype ?? this.declaredDtype(name);
    const data = hostArray(dtype, feed.data.length);
    data.set(feed.data as ArrayLike<number>);
    return { dtype, shape: [...feed.shape], data };
  }

  /** Feeds of a low-precision input (held in a wider dtype) must be values of its ONNX type: nothing rounds them. */
  private checkHeldInputs(feeds: Readonly<Record<string, RuntimeInput>>): void {
    for (const [name, type] of this.heldInputs) {
      const feed = feeds[name];
      if (!feed || isRawView(feed)) continue;
      const i = firstOffGrid(type, feed.data as ArrayLike<number>);
      if (i >= 0)
        throw new DTypeError(
          `input '${name}' is ${onnxTypeName(type)}: element ${i} (${(feed.data as ArrayLike<number>)[i]}) is not a ${onnxTypeName(type)} value`,
        );
    }
  }

  private declaredDtype(name: string): DType {
    const v = (this.model.graph?.input ?? []).find((i) => i.name === name);
    return dtypeForOnnx(v?.type?.tensorType?.elemType ?? 0, `ONNX graph input '${name}'`);
  }

  /** How an import sees the STRING inputs: their values (per-value plans), or their shapes only (the string ops then run per run as host steps). */
  private stringOptions(strings: Readonly<Record<string, StringTensor>> | undefined): Pick<ImportOptions, "strings" | "stringShapes"> {
    if (!strings || this.stringsPerValue) return { strings };
    return { strings: undefined, stringShapes: Object.fromEntries(Object.entries(strings).map(([name, t]) => [name, t.shape])) };
  }

  private async plan(
    key: string,
    bound: Pick<ImportOptions, "inputShapes" | "inputLayouts" | "knownValues" | "outputs" | "done" | "fed" | "strings">,
    assumedValues: Readonly<Record<string, HostTensor>> = bound.knownValues ?? {},
    byCount = false,
  ): Promise<Plan> {
    const cache = byCount ? this.countPlans : this.plans;
    // A model with many host steps (Piper: 12 NonZero) looks up a count plan per stage: twice one run's lookups always fit.
    if (byCount) this.countPlans.makeRoomFor(2 * ++this.countLookups);
    const cached = cache.get(key);
    if (cached instanceof HostStepNeeded) throw cached;
    if (cached) return cached;
    const { device, maxPlans: _maxPlans, maxCountPlans: _maxCountPlans, ...importOptions } = this.options;
    const known = bound.knownValues ?? {};
    const { strings, ...rest } = bound;
    const resolveInput = (n: string) => known[n] ?? importOptions.resolveInput?.(n);
    let tracked;
    try {
      tracked = this.shared.track(() =>
        importModelProto(this.model, {
          ...importOptions,
          ...rest,
          ...this.stringOptions(strings),
          resolveInput,
          computesRunTimeValues: true,
          shared: this.shared,
        }),
      );
    } catch (err) {
      // The import stops at the same host step on every run with this key: remember where, not the plan.
      if (err instanceof HostStepNeeded) cache.add(key, err);
      throw err;
    }
    const { result: imported, folds } = tracked;
    const graph = imported.graph;
    const session = graph.outputs.length > 0 ? await createSession(graph, { ...(device ? { device } : {}), weights: this.weights }) : hostOnlySession();
    this.shared.acquire(folds);
    const reads = graph.inputs.map((v) => v.name);
    const assumed = { ...assumedValues };
    const outputLayouts = imported.outputLayouts;
    const { stringOutputs, deferredStringOutputs } = imported;
    let plan: Plan;
    if (bound.done && bound.outputs) {
      // A stage: what it computes goes to the later stages, as inputs, or as constants where the import knew it.
      const constants: Record<string, HostTensor> = {};
      const fed: string[] = [];
      for (const output of bound.outputs) {
        const value = imported.constantValue(output);
        if (value) constants[output] = value;
        else fed.push(output);
      }
      plan = {
        graph,
        session,
        folds,
        reads,
        assumed,
        outputLayouts,
        stringOutputs,
        deferredStringOutputs,
        stage: { lowered: imported.lowered, fed, constants },
      };
    } else if (bound.outputs && isPure(graph))
      plan = { graph, session, folds, reads, assumed, outputLayouts, stringOutputs, deferredStringOutputs, results: new Map(), dependsOn: inputsRead(graph) };
    else plan = { graph, session, folds, reads, assumed, outputLayouts, stringOutputs, deferredStringOutputs };
    cache.add(key, plan);
    return plan;
  }
}

/** The inputs a plan reads: the caller's, or an earlier stage's results. Inputs whose values were needed at import are constants in the plan. */
function inputsOf(plan: Plan, feeds: Readonly<Record<string, RuntimeInput>>, stages: Stages | undefined): Record<string, RuntimeInput> {
  const used: Record<string, RuntimeInput> = {};
  for (const name of plan.reads) {
    const host = stages?.host.get(name);
    const given = name in feeds ? feeds[name] : (stages?.fed.get(name) ?? (isStringValue(host) ? undefined : host));
    if (given) used[name] = given;
  }
  return used;
}

/**
 * A plan whose outputs are all STRING tensors computed at import has no device part: the engine
 * refuses a graph without outputs, so its run returns no tensors.
 */
function hostOnlySession(): Session {
  const none = { run: async () => ({}), runViews: async () => ({}), dispose: () => {} };
  return none as unknown as Session;
}

/** Whether the graph's results depend on its inputs alone (no random op draws fresh values per run). */
function isPure(graph: Graph): boolean {
  return graph.nodes.every((n) => !hasOp(n.op) || getOp(n.op).family !== "random");
}

/** The graph inputs its nodes (or outputs) read. */
function inputsRead(graph: Graph): string[] {
  const read = new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  return graph.inputs.map((v) => v.name).filter((name) => read.has(name));
}

/** The values of `names` in `feeds` as a key, when they are a few host values; undefined otherwise (the prefix then runs). */
function inputValuesKey(names: readonly string[], feeds: Readonly<Record<string, RuntimeInput>>): string | undefined {
  let key = "";
  let count = 0;
  for (const name of names) {
    const feed = feeds[name];
    if (!feed || isRawView(feed) || (count += feed.data.length) > REMEMBERED_INPUT_VALUES) return undefined;
    key += `${name}:${feed.dtype ?? ""}[${feed.shape.join(",")}]=${Array.prototype.join.call(feed.data, ",")};`;
  }
  return key;
}

/** A value computed to plan the model, refused when it is too large to compute per run. */
function checkedValue(name: string, out: HostOutput): HostTensor {
  if (out.data.length > MAX_FROZEN_VALUE) {
    throw new UnsupportedOpError(
      `'${name}' (${out.dtype}[${out.shape.join(", ")}]) is needed to plan the model but is too large to freeze into a plan per run (at most ${MAX_FROZEN_VALUE} values)`,
    );
  }
  return { dtype: out.dtype, shape: out.shape, data: out.data };
}

function valuesKey(known: Record<string, HostTensor>): string {
  return JSON.stringify(Object.entries(known).map(([k, t]) => [k, t.shape, Array.from(t.data)]));
}
