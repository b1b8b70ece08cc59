import { dtypeBytes, sizeOf } from "@polychip/hal";
import { allocate, readView, shareView } from "../core/dispatch.ts";
import { getDeviceEntry } from "../core/devices.ts";
import { viewIsContiguous } from "../core/view.ts";
import { profiler } from "../core/profiler.ts";
import { Tensor } from "../tensor.ts";
import { alias } from "./basic.ts";
import { applyComposite } from "./apply.ts";

/** The same values on another device. The copy is queued: nothing waits here. */
export function toDevice(x: Tensor, device: string): Tensor {
  if (x.device === device) return alias(x);
  return applyComposite("to", [x], { device }, () => transfer(x, device));
}

/** Queues a copy of `x`'s values into new memory on `device`. */
function transfer(x: Tensor, device: string): Tensor {
  const src = x.view;
  const dst = getDeviceEntry(device);
  const out = allocate(dst, src.dtype, src.shape);
  const bytes = sizeOf(src.shape) * dtypeBytes(src.dtype);
  const started = performance.now();
  const done = () =>
    profiler.emit({
      device,
      name: `transfer ${x.device}→${device}`,
      category: "transfer",
      start: started,
      duration: performance.now() - started,
      args: { bytes },
    });
  const from = getDeviceEntry(x.device);
  if (from.device.readSync && !from.queue.busy && viewIsContiguous(src)) {
    // Host-visible memory: copy now, no need to make the destination wait on a promise.
    const data = bytes > 0 ? from.device.readSync(src.storage.buffer, src.offset * dtypeBytes(src.dtype), bytes).slice() : new Uint8Array(0);
    dst.queue.submit(() => {
      if (bytes > 0) dst.device.write(out.storage.buffer, data, 0);
      done();
    });
  } else {
    const pending = readView(src);
    dst.queue.submitAsync(async () => {
      const data = await pending;
      if (bytes > 0) dst.device.write(out.storage.buffer, data, 0);
      done();
    });
  }
  return new Tensor(out);
}

/** The same memory, cut off from autograd. */
export function detach(x: Tensor): Tensor {
  const v = x.view;
  return new Tensor(shareView(v, v));
}
