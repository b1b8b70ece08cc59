/** Runs a `fused` call as the stages fused-stages.ts plans: scratch buffers for what passes between them. */
import {
  broadcastStrides,
  contiguousStrides,
  dtypeBytes,
  fusedValueTypes,
  isContiguous,
  parseFusedProgram,
  sizeOf,
  type Attrs,
  type Device,
  type DType,
} from "@polychip/hal";
import type { CpuBuffer, FastPath } from "../device.ts";
import type { CpuKernel } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { copyOf, planStages, type FusedStage } from "./fused-stages.ts";

/** The WASM fused loop: false when it declines the call. */
type WasmRunner = (call: Parameters<CpuKernel>[0], path: FastPath) => boolean;

const MAX_CACHED = 256;
/** Elements from which a program the WASM loop cannot run whole runs in stages: below it, one JavaScript loop costs less than the extra launches. */
const STAGED_MIN_ELEMENTS = 1 << 14;

/**
 * A stage ready to launch: its attrs; for each of its outputs the place it writes (`targets`: a
 * global value, or -1 - N - m for the caller's output m) and that value's dtype; and where each
 * value it computes lives afterwards (`homes`: value, target), for the stages after it.
 */
type StageLaunch = FusedStage & {
  readonly attrs: Attrs;
  readonly targets: readonly { readonly place: number; readonly dtype: DType }[];
  readonly homes: readonly (readonly [number, number])[];
};
const staged = new Map<string, StageLaunch[] | null>();

function stagesFor(attrs: Attrs, views: readonly CpuView[], flat: readonly boolean[]): StageLaunch[] | null {
  const key = `${attrs.program}|${String(attrs.outputs)}|${views.map((v, k) => `${v.dtype}${flat[k] ? "" : "~"}`).join(",")}`;
  let plan = staged.get(key);
  if (plan === undefined) {
    const N = views.length;
    const { steps, outputs } = parseFusedProgram(attrs, N);
    const types = fusedValueTypes(steps, views);
    const stages = planStages(steps, outputs, types, flat);
    // A value the caller reads is written straight into its output(s); the others go to scratch buffers.
    plan =
      stages?.map((st) => {
        const pairs = st.writes.flatMap((w, j) => {
          const finals = outputs.flatMap((o, m) => (o === w ? [-1 - N - m] : []));
          const dtype = types[w < 0 ? copyOf(w) : w]!.dtype;
          return (finals.length ? finals : [w]).map((place) => ({ local: st.outputs[j]!, place, dtype, value: w }));
        });
        return {
          ...st,
          attrs: { program: JSON.stringify(st.steps), outputs: pairs.map((p) => p.local) },
          targets: pairs.map(({ place, dtype }) => ({ place, dtype })),
          homes: st.writes.map((w) => [w, pairs.find((p) => p.value === w)!.place] as const),
        };
      }) ?? null;
    if (staged.size >= MAX_CACHED) staged.delete(staged.keys().next().value!);
    staged.set(key, plan);
  }
  return plan;
}

/**
 * A large program with steps outside the WASM loop, on float32 and bool values, in stages
 * (fused-stages.ts): WASM stages through `runWasm`, JavaScript ones through the reference kernel.
 * False when staging does not apply.
 */
export function runStaged(call: Parameters<CpuKernel>[0], path: FastPath, device: Device<CpuBuffer>, reference: CpuKernel, runWasm: WasmRunner): boolean {
  const views = call.inputs as readonly CpuView[];
  const outputs = call.outputs as readonly CpuView[];
  const shape = outputs[0]!.shape;
  const n = sizeOf(shape);
  if (n < STAGED_MIN_ELEMENTS || outputs.some((y) => !isContiguous(y.shape, y.strides))) return false;
  // Stages write an output as soon as its value exists: over an input a later stage still reads (a run in place), that would be wrong.
  if (outputs.some((y) => views.some((v) => v.buffer === y.buffer))) return false;
  const flat = views.map((v) => sizeOf(v.shape) === 1 || isContiguous(shape, broadcastStrides(v.shape, v.strides, shape)));
  const stages = stagesFor(call.attrs, views, flat);
  if (!stages) return false;
  const at = new Map<number, CpuView>(views.map((v, k) => [k, v]));
  outputs.forEach((y, m) => at.set(-1 - views.length - m, y));
  const scratch: CpuBuffer[] = [];
  try {
    for (const st of stages) {
      const stageOutputs = st.targets.map(({ place, dtype }) => {
        let view = at.get(place);
        if (!view) {
          const buffer = device.alloc(n * dtypeBytes(dtype));
          scratch.push(buffer);
          view = { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
          at.set(place, view);
        }
        return view;
      });
      const stageCall = { op: "fused", inputs: st.inputs.map((v) => at.get(v)!), outputs: stageOutputs, attrs: st.attrs };
      if (!(st.wasm && runWasm(stageCall, path))) reference(stageCall, device);
      for (const [value, place] of st.homes) at.set(value, at.get(place)!);
    }
  } finally {
    for (const b of scratch) device.free(b);
  }
  return true;
}
