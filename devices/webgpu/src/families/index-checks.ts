import { formatShape, ShapeError, sizeOf, type Shape, type TensorView } from "@polychip/hal";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import { MAIN_BUILTINS, flatIndex, type Dispatcher } from "../runtime/dispatch.ts";
import type { FaultSpec } from "../runtime/kernel-faults.ts";
import { ParamBlock } from "../runtime/params.ts";
import { inputBinding } from "../wgsl/dtypes.ts";
import { faultRecordWgsl } from "../wgsl/fault-record.ts";

const WORKGROUP = 64;

/**
 * The fault of an index outside [0, size) along `axis` (the HAL's contract: importers and the engine
 * turn negative indices positive first), with the CPU device's error, so both devices stop alike.
 */
export function indexFault(op: string, axis: number, size: number): FaultSpec {
  return {
    key: `index:${op}:${axis}:${size}`,
    error: (index) => new ShapeError(`${op}: index ${index} is out of range for dim ${axis} of size ${size}`),
  };
}

/**
 * Records a fault (thrown by the next read or sync) when an entry of `idx` (int32, contiguous) is
 * outside [0, size): one invocation per index entry, in a dispatch of its own before the kernel
 * that uses them, which clamps them for its loads. A check inside that kernel would run once per
 * output element (per scanned entry in scatterAdd) and, on SwiftShader, slowed a small gather by a
 * third even with no fault; this one costs a dispatch over the indices alone.
 */
export function checkIndices(device: Dispatcher, op: string, idx: TensorView<WebGpuBuffer>, axis: number, size: number): void {
  const n = sizeOf(idx.shape);
  if (n === 0) return;
  const params = new ParamBlock()
    .u32("n", n)
    .u32("off", idx.offset)
    .u32("size", size)
    .u32("fault_code", device.faultCode(indexFault(op, axis, size)));
  device.dispatch({
    op,
    key: "checkIndices",
    params,
    reads: [idx.buffer],
    writes: [],
    faults: true,
    workgroups: Math.ceil(n / WORKGROUP),
    args: { check: "indices" },
    wgsl: () =>
      [
        params.wgsl(),
        inputBinding(1, "idx", "int32"),
        faultRecordWgsl(2, "prm_fault_code()"),
        `@compute @workgroup_size(${WORKGROUP}) fn main(${MAIN_BUILTINS}) {`,
        `  let t = ${flatIndex(WORKGROUP)};`,
        "  if (t >= prm_n()) { return; }",
        "  let k = ld_idx(prm_off() + t);",
        "  if (k < 0i || k >= i32(prm_size())) { fault(k, 0i); }",
        "}",
      ].join("\n"),
  });
}

/**
 * The index must have the rank of `other` and fit inside it in every dim (but `axis`, unless
 * `includeAxis`), as the CPU device checks: the kernels address `other` by the index's coordinates.
 */
export function checkIndexFits(op: string, index: Shape, other: Shape, what: string, axis: number, includeAxis: boolean): void {
  if (index.length !== other.length) throw new ShapeError(`${op}: index ${formatShape(index)} and ${what} ${formatShape(other)} must have one rank`);
  index.forEach((d, i) => {
    if ((includeAxis || i !== axis) && d > other[i]!) {
      throw new ShapeError(`${op}: index shape ${formatShape(index)} exceeds ${what} shape ${formatShape(other)} in dim ${i}`);
    }
  });
}
