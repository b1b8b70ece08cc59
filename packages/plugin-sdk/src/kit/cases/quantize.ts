import { isFloat, type DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase } from "./types.ts";
import { contiguous, edgeValues, random } from "./values.ts";

/**
 * quantizeLinear(x, scale, zeroPoint?; axis) with ONNX QuantizeLinear semantics:
 * y = saturate(roundHalfToEven(x / scale) + zeroPoint), y's dtype = zeroPoint's (uint8 without one).
 */
export function quantizeLinearCases({ dtype }: CaseContext): ConformanceCase[] {
  if (!isFloat(dtype)) return [];
  const s = (values: number[]) => contiguous(dtype, values.length === 1 ? [] : [values.length], values);
  const zp = (to: DType, values: number[]) => contiguous(to, values.length === 1 ? [] : [values.length], values);
  const ties = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -3.5];
  const sat = [1000, -1000, 130, -130, 127.4, -128.6, Infinity, -Infinity];
  return [
    { name: "per-tensor int8, zero point 3", inputs: [random(701, dtype, [3, 4]), s([0.05]), zp("int8", [3])], attrs: {} },
    { name: "per-tensor uint8, zero point 128", inputs: [random(702, dtype, [3, 4]), s([0.03]), zp("uint8", [128])], attrs: {} },
    { name: "no zero point (uint8 output)", inputs: [random(703, dtype, [3, 4], [0, 6]), s([0.1])], attrs: {} },
    { name: "ties round half to even", inputs: [contiguous(dtype, [8], ties), s([1]), zp("int8", [0])], attrs: {} },
    { name: "saturation and infinities", inputs: [contiguous(dtype, [8], sat), s([1]), zp("int8", [0])], attrs: {} },
    { name: "per-axis axis 1 [2, 3, 4]", inputs: [random(704, dtype, [2, 3, 4]), s([0.02, 0.05, 0.1]), zp("int8", [0, -5, 7])], attrs: { axis: 1 } },
    { name: "per-axis axis 0 [4, 2]", inputs: [random(705, dtype, [4, 2]), s([0.01, 0.02, 0.04, 0.08]), zp("uint8", [0, 10, 128, 255])], attrs: { axis: 0 } },
    { name: "empty [0, 3]", inputs: [random(706, dtype, [0, 3]), s([0.1]), zp("int8", [0])], attrs: {} },
    { name: "large [256, 256]", inputs: [random(707, dtype, [256, 256]), s([0.025]), zp("int8", [-1])], attrs: {} },
  ];
}

/** dequantizeLinear(x, scale, zeroPoint?; axis) with ONNX DequantizeLinear semantics: y = (x - zeroPoint) * scale. */
export function dequantizeLinearCases({ dtype }: CaseContext): ConformanceCase[] {
  if (dtype !== "int8" && dtype !== "uint8" && dtype !== "int32") return [];
  const s = (values: number[]) => contiguous("float32", values.length === 1 ? [] : [values.length], values);
  const zp = (values: number[]) => contiguous(dtype, values.length === 1 ? [] : [values.length], values);
  const edges = edgeValues(dtype);
  const cases: ConformanceCase[] = [
    { name: "per-tensor [3, 4]", inputs: [random(711, dtype, [3, 4]), s([0.05]), zp([dtype === "uint8" ? 10 : -2])], attrs: {} },
    { name: "no zero point", inputs: [random(712, dtype, [3, 4]), s([0.5])], attrs: {} },
    { name: `edge values [${edges.length}]`, inputs: [contiguous(dtype, [edges.length], edges), s([0.1]), zp([dtype === "uint8" ? 128 : 0])], attrs: {} },
    { name: "per-axis axis 1 [2, 3, 4]", inputs: [random(713, dtype, [2, 3, 4]), s([0.02, 0.05, 0.1]), zp([0, 1, 2])], attrs: { axis: 1 } },
    { name: "empty [0, 3]", inputs: [random(714, dtype, [0, 3]), s([0.1])], attrs: {} },
    { name: "large [256, 256]", inputs: [random(715, dtype, [256, 256]), s([0.025]), zp([1])], attrs: {} },
  ];
  if (dtype !== "int32") cases.push({ name: "float16 scale", inputs: [random(716, dtype, [2, 5]), contiguous("float16", [], [0.125]), zp([3])], attrs: {} });
  return cases;
}

/**
 * dynamicQuantizeLinear(x) with ONNX DynamicQuantizeLinear semantics: uint8 values, scale and zero
 * point from x's own range (which always includes 0). Ranges of both signs, one sign only, halves
 * that round to even (range [0, 255]: scale 1), a zero point at a half, odd lengths and
 * Moonshine's [1, 19, 288] activation.
 */
export function dynamicQuantizeLinearCases({ dtype }: CaseContext): ConformanceCase[] {
  if (dtype !== "float32") return [];
  const ties = [255, 2.5, 3.5, 0.5, 1.5, 254.5, 0, 100.5, 101.5];
  return [
    { name: "both signs [3, 4]", inputs: [random(721, dtype, [3, 4], [-2, 3])], attrs: {} },
    { name: "positive only [37]", inputs: [random(722, dtype, [37], [0.5, 9])], attrs: {} },
    { name: "negative only [2, 17]", inputs: [random(723, dtype, [2, 17], [-7, -0.25])], attrs: {} },
    { name: "halves round to even (scale 1)", inputs: [contiguous(dtype, [9], ties)], attrs: {} },
    { name: "zero point at a half (-25.5 / 1)", inputs: [contiguous(dtype, [4], [-25.5, 229.5, 0, 1])], attrs: {} },
    { name: "Moonshine's activation [1, 19, 288]", inputs: [random(724, dtype, [1, 19, 288], [-4, 6])], attrs: {} },
  ];
}
