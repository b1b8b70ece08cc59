import { describeCall, describeTensors, type KernelCall, type ProfileEvent, type TensorView } from "@polychip/hal";

/** "float32[2, 3], float32[3]": the dtypes and shapes of some views, for messages and event args. */
export const describeViews: (views: readonly Pick<TensorView, "dtype" | "shape">[]) => string = describeTensors;

export { describeCall };

/**
 * The profiler event for one kernel launch. `args` carries what the device knows about the run
 * (cycles, bytes moved, utilisation); shapes and dtype are always filled in so a timeline can
 * group launches by signature.
 */
export function kernelEvent(
  device: string,
  call: Pick<KernelCall, "op" | "inputs" | "outputs">,
  start: number,
  duration: number,
  args: Readonly<Record<string, string | number | boolean>> = {},
): ProfileEvent {
  const first = call.inputs[0] ?? call.outputs[0];
  return {
    device,
    name: call.op,
    category: "kernel",
    start,
    duration,
    args: { shapes: `${describeViews(call.inputs)} -> ${describeViews(call.outputs)}`, dtype: first?.dtype ?? "", ...args },
  };
}

/** The profiler event for a host<->device copy. */
export function transferEvent(
  device: string,
  direction: "host-to-device" | "device-to-host",
  bytes: number,
  start: number,
  duration: number,
  args: Readonly<Record<string, string | number | boolean>> = {},
): ProfileEvent {
  return { device, name: direction === "host-to-device" ? "write" : "read", category: "transfer", start, duration, args: { direction, bytes, ...args } };
}
