import { decodeHost, fromHost, getDeviceEntry, runOp } from "@polychip/engine/core";
import { dtypeBytes, sizeOf, type Attrs } from "@polychip/hal";
import type { HostTensor } from "../tensor.ts";

/**
 * Runs one HAL op on host tensors through the CPU device, synchronously (the CPU device reads
 * back without waiting), and returns every output (the recurrent ops have several). The importer
 * folds constant subgraphs with it — shape arithmetic, weight transposes — so they never reach
 * the target device.
 */
export function evalHalOnCpu(op: string, inputs: readonly HostTensor[], attrs: Attrs): HostTensor[] {
  const views = inputs.map((t) => fromHost(t.data, t.shape, t.dtype, "cpu"));
  try {
    const outs = runOp(op, views, attrs, "cpu");
    try {
      const entry = getDeviceEntry("cpu");
      return outs.map((out) => {
        const n = sizeOf(out.shape);
        const width = dtypeBytes(out.dtype);
        const bytes = n === 0 ? new Uint8Array(0) : entry.device.readSync!(out.storage.buffer, out.offset * width, n * width);
        return { dtype: out.dtype, shape: [...out.shape], data: decodeHost(bytes, out.dtype, n) };
      });
    } finally {
      outs.forEach((out) => out.storage.release());
    }
  } finally {
    views.forEach((v) => v.storage.release());
  }
}
