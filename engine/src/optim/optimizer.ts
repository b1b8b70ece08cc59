import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import { clone } from "../ops/shape.ts";
import { keep, tidy } from "../scope.ts";
import { hostGuard, hostStep } from "../compile/replay-hooks.ts";
import { Tensor } from "../tensor.ts";

/** Options every optimiser has; each optimiser adds its own (momentum, betas...). */
export interface BaseOptions {
  lr: number;
}

/** One parameter group: its tensors and its own copy of every option; `initialLr` is set by the first LR scheduler. */
export type ParamGroup<O extends BaseOptions> = O & { params: Tensor[]; initialLr?: number };

/** What a user passes for one group: tensors and any options that differ from the optimiser's defaults. */
export type ParamGroupSpec<O extends BaseOptions> = { params: Iterable<Tensor> } & Partial<O>;

export type ParamsArg<O extends BaseOptions> = Iterable<Tensor> | Iterable<ParamGroupSpec<O>>;

/** Per-parameter state: the step count and named buffers (momentum, moments). */
export interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

/** As torch's state_dict(): state by parameter index (counted across groups), and each group's options with indices. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/**
 * Base of every optimiser: parameter groups with per-group options, per-parameter state, updates
 * applied in place (Tensor.assign), and a state dict from which a run resumes exactly.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly paramGroups: ParamGroup<O>[] = [];
  private readonly state = new Map<Tensor, ParamState>();

  constructor(
    params: ParamsArg<O>,
    readonly defaults: O,
    protected readonly name: string,
  ) {
    checkLr(name, defaults.lr);
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new PolychipError(`${name}: got an empty parameter list`);
    const groups = list.every((p) => p instanceof Tensor) ? [{ params: list as Tensor[] }] : list;
    for (const g of groups) this.addParamGroup(g as ParamGroupSpec<O>);
  }

  /** Adds a group (e.g. to unfreeze layers later); its options default to the optimiser's. */
  addParamGroup(spec: ParamGroupSpec<O>): void {
    const where = `${this.name}: parameter group ${this.paramGroups.length}`;
    if (spec === null || typeof spec !== "object" || spec instanceof Tensor || !("params" in spec)) {
      throw new PolychipError(`${where}: expected tensors or { params, ...options } groups, not a mix (got ${describe(spec)})`);
    }
    const unknown = Object.keys(spec).filter((k) => k !== "params" && k !== "initialLr" && !(k in this.defaults));
    if (unknown.length)
      throw new PolychipError(`${where}: unknown option(s) ${unknown.join(", ")}; ${this.name} takes ${Object.keys(this.defaults).join(", ")}`);
    const params = spec.params instanceof Tensor ? [spec.params] : [...spec.params];
    const seen = new Set(this.params);
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new PolychipError(`${where}: params must be tensors, got ${describe(p)}`);
      if (p.gradFn) throw new PolychipError(`${where}: cannot optimise a non-leaf tensor (${p}); pass parameters, not results of ops`);
      if (seen.has(p)) throw new PolychipError(`${where}: tensor ${p} appears in more than one parameter group`);
      seen.add(p);
    }
    const group = { ...this.defaults, ...spec, params } as ParamGroup<O>;
    checkLr(where, group.lr);
    this.paramGroups.push(group);
  }

  /** Every parameter, group by group. */
  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** The first group's learning rate; setting it sets every group's. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }
  set lr(value: number) {
    checkLr(this.name, value);
    for (const g of this.paramGroups) g.lr = value;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        // A replayed compiled step reads lr live; any other option changed (momentum, betas: OneCycleLR cycles them) makes it record again.
        hostGuard(() => optionsKey(group));
        for (const p of group.params) {
          if (!p.grad) continue;
          const s = this.stateOf(p);
          // Counted again each time a compiled step is replayed without running this code.
          hostStep(() => s.step++);
          tidy(() => {
            const next = this.update(p, p.grad!, s, group);
            p.assign(next);
          });
        }
      }
    });
  }

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The new value of `p`; may replace buffers in `state` through setState (they are kept alive here). */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): Tensor;

  protected setState(state: ParamState, key: string, value: Tensor): void {
    const old = state.buffers[key];
    state.buffers[key] = keep(value);
    if (old && old !== value) old.dispose();
  }

  private stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = { step: 0, buffers: {} }));
    return s;
  }

  /** The optimiser's state (the live buffers, not copies) and every group's options. */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    let index = 0;
    const paramGroups = this.paramGroups.map(({ params, ...options }) => {
      const ids = params.map((p) => {
        const s = this.state.get(p);
        if (s) state[index] = { step: s.step, buffers: { ...s.buffers } };
        return index++;
      });
      return { ...structuredClone(options), params: ids };
    });
    return { state, paramGroups };
  }

  /** Restores state and options saved by stateDict(); the groups must hold the same number of tensors, the buffers the same shapes. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || !Array.isArray(sd.paramGroups) || typeof sd.state !== "object")
      throw new PolychipError(`${this.name}.loadStateDict: expected { state, paramGroups }`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ShapeError(`${this.name}.loadStateDict: the state has ${sd.paramGroups.length} parameter groups, the optimiser ${this.paramGroups.length}`);
    }
    sd.paramGroups.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i]!.params.length) {
        throw new ShapeError(
          `${this.name}.loadStateDict: group ${i} holds ${g.params.length} tensors in the state, ${this.paramGroups[i]!.params.length} in the optimiser`,
        );
      }
    });
    const byIndex = new Map<number, Tensor>();
    sd.paramGroups.forEach((g, i) => g.params.forEach((id, j) => byIndex.set(id, this.paramGroups[i]!.params[j]!)));
    const restored = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new PolychipError(`${this.name}.loadStateDict: state for parameter ${key}, which no group lists`);
      const buffers: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(s.buffers)) {
        if (formatShape(t.shape) !== formatShape(p.shape)) {
          throw new ShapeError(
            `${this.name}.loadStateDict: buffer '${name}' of parameter ${key} is ${formatShape(t.shape)}, the parameter ${formatShape(p.shape)}`,
          );
        }
        buffers[name] = copyFor(t, p);
      }
      restored.set(p, { step: s.step, buffers });
    }
    this.dispose();
    for (const [p, s] of restored) this.state.set(p, s);
    sd.paramGroups.forEach((g, i) => {
      const { params: _ids, ...options } = g;
      Object.assign(this.paramGroups[i]!, structuredClone(options));
    });
  }

  /** Frees optimiser state (momentum buffers, moments). */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.buffers)) t.dispose();
    this.state.clear();
  }
}

/** A private copy of a saved buffer on the parameter's device and dtype. */
function copyFor(t: Tensor, p: Tensor): Tensor {
  return keep(
    noGrad(() =>
      tidy(() => {
        const moved = t.device === p.device ? clone(t) : t.to(p.device);
        return moved.dtype === p.dtype ? moved : moved.cast(p.dtype);
      }),
    ),
  );
}

function checkLr(where: string, lr: unknown): void {
  if (typeof lr !== "number" || !(lr >= 0)) throw new PolychipError(`${where}: learning rate must be a number >= 0, got ${String(lr)}`);
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return String(v);
  if (v === null || typeof v !== "object") return `${typeof v} ${String(v)}`;
  return `${v.constructor?.name ?? "object"} with keys ${Object.keys(v).join(", ") || "(none)"}`;
}

/** A group's options other than its tensors and learning rate, as a comparable string. */
function optionsKey(group: ParamGroup<BaseOptions>): string {
  const { params: _params, lr: _lr, initialLr: _initial, ...rest } = group;
  return JSON.stringify(rest);
}
