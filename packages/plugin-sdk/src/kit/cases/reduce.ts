import { isFloat, type DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase, TensorInput } from "./types.ts";
import { contiguous, defaultRange, edgeValues, random, transposed } from "./values.ts";

function rangeFor(op: string, dtype: DType): [number, number] {
  // Products stay near 1 so a long product neither overflows nor vanishes.
  if (op === "reduceProd") return isFloat(dtype) ? [0.6, 1.5] : dtype === "uint8" ? [1, 2] : [-2, 2];
  return defaultRange(dtype);
}

/** reduceSum/Prod/Max/Min over axis sets, keepDims, empty and size-1 dims, NaN, strided inputs where the device takes them. */
export function reduceCases({ op, dtype, stridedInputs }: CaseContext): ConformanceCase[] {
  const range = rangeFor(op.name, dtype);
  const rnd = (seed: number, shape: number[]) => random(seed, dtype, shape, range);
  const emptyAllowed = op.name === "reduceSum" || op.name === "reduceProd";
  const edges = edgeValues(dtype);
  const c = (name: string, x: TensorInput, attrs: ConformanceCase["attrs"], terms = 1): ConformanceCase => ({
    name,
    inputs: [x],
    attrs,
    accumulation: op.name === "reduceSum" ? terms * Math.max(Math.abs(range[0]), Math.abs(range[1])) : undefined,
  });
  const cases = [
    c("all axes [3, 4]", rnd(71, [3, 4]), {}, 12),
    c("axis 1, keepDims [3, 4]", rnd(72, [3, 4]), { axes: [1], keepDims: true }, 4),
    c("axis 0 [3, 4]", rnd(73, [3, 4]), { axes: [0] }, 3),
    c("axes 0 and 2 [2, 3, 4]", rnd(74, [2, 3, 4]), { axes: [0, 2] }, 8),
    c("axis -1 [2, 3, 4]", rnd(75, [2, 3, 4]), { axes: [-1] }, 4),
    c("size-1 [1]", rnd(76, [1]), { axes: [0] }),
    c("scalar [] (no axes)", rnd(77, []), {}),
    c("empty outer dim [0, 3] along axis 1", rnd(78, [0, 3]), { axes: [1] }),
    c(`edge values [2, ${edges.length}] along axis 1`, contiguous(dtype, [2, edges.length], [...edges, ...[...edges].reverse()]), { axes: [1] }),
    c("large [64, 1024] along axis 1", rnd(79, [64, 1024]), { axes: [1] }, 1024),
  ];
  if (emptyAllowed) cases.push(c("empty reduced dim [0, 3] along axis 0", rnd(80, [0, 3]), { axes: [0] }));
  if (stridedInputs) cases.push(c("transposed view [4, 5] along axis 0", transposed(rnd(81, [4, 5])), { axes: [0] }, 4));
  return cases;
}

/** argMax/argMin: ties (first index wins, last with selectLastIndex), NaN, keepDims, negative axes. */
export function argReduceCases({ dtype, stridedInputs }: CaseContext): ConformanceCase[] {
  const edges = edgeValues(dtype);
  const ties = contiguous(dtype, [2, 5], [1, 3, 3, 0, 3, 2, 2, 1, 2, 0]);
  const cases: ConformanceCase[] = [
    { name: "axis 1 [3, 4]", inputs: [random(91, dtype, [3, 4])], attrs: { axis: 1 } },
    { name: "axis 0, keepDims [3, 4]", inputs: [random(92, dtype, [3, 4])], attrs: { axis: 0, keepDims: true } },
    { name: "axis -2 [2, 3, 4]", inputs: [random(93, dtype, [2, 3, 4])], attrs: { axis: -2 } },
    { name: "ties, first index", inputs: [ties], attrs: { axis: 1 } },
    { name: "ties, selectLastIndex", inputs: [ties], attrs: { axis: 1, selectLastIndex: true } },
    { name: "size-1 [1]", inputs: [random(94, dtype, [1])], attrs: { axis: 0 } },
    { name: "empty outer dim [0, 3]", inputs: [random(95, dtype, [0, 3])], attrs: { axis: 1 } },
    { name: `edge values [${edges.length}]`, inputs: [contiguous(dtype, [edges.length], edges)], attrs: { axis: 0 } },
    { name: "large [64, 1024] along axis 1", inputs: [random(96, dtype, [64, 1024])], attrs: { axis: 1 } },
  ];
  if (stridedInputs) cases.push({ name: "transposed view [4, 5]", inputs: [transposed(random(97, dtype, [4, 5]))], attrs: { axis: 1 } });
  return cases;
}

/** argsort: stable ties in both directions, NaN largest, a middle axis, rows that are not a power of two long. */
export function argsortCases({ dtype, stridedInputs }: CaseContext): ConformanceCase[] {
  const edges = edgeValues(dtype);
  const ties = contiguous(dtype, [2, 5], [1, 3, 3, 0, 3, 2, 2, 1, 2, 0]);
  const cases: ConformanceCase[] = [
    { name: "axis 1 [3, 5]", inputs: [random(101, dtype, [3, 5])], attrs: { axis: 1 } },
    { name: "ties, ascending (stable)", inputs: [ties], attrs: { axis: 1 } },
    { name: "ties, descending (stable)", inputs: [ties], attrs: { axis: 1, descending: true } },
    { name: "axis 1 [2, 3, 4], descending", inputs: [random(102, dtype, [2, 3, 4])], attrs: { axis: 1, descending: true } },
    { name: "size-1 [1]", inputs: [random(103, dtype, [1])], attrs: { axis: 0 } },
    { name: "empty outer dim [0, 3]", inputs: [random(104, dtype, [0, 3])], attrs: { axis: 1 } },
    { name: `edge values [${edges.length}]`, inputs: [contiguous(dtype, [edges.length], edges)], attrs: { axis: 0 } },
    { name: `edge values [${edges.length}], descending`, inputs: [contiguous(dtype, [edges.length], edges)], attrs: { axis: 0, descending: true } },
    { name: "rows of 100 [4, 100]", inputs: [random(105, dtype, [4, 100])], attrs: { axis: 1 } },
  ];
  if (stridedInputs) cases.push({ name: "transposed view [4, 5]", inputs: [transposed(random(106, dtype, [4, 5]))], attrs: { axis: 1 } });
  return cases;
}
