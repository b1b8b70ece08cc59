import type { Attrs } from "@polychip/hal";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { FUSED_MATH_OPS } from "../wasm/fused-math.ts";
import { fastPathOf } from "./support.ts";

/**
 * exp, sigmoid and tanh on float32 as one-step `fused` programs, so a lone one (a tanh after a
 * convolution that nothing fuses it with) runs the fused kernel's WASM loop with its exact math
 * (wasm/fused-math.ts: the reference's Math value rounded once, bit for bit) instead of a
 * JavaScript loop over Math calls. The program's attrs are kept per call's attrs, which a planned
 * session passes again on every run, so the fused kernel finds its kept launch.
 */
export function fastTranscendental(fused: CpuKernel, ref: (op: string) => CpuKernel): CpuRegistration[] {
  return FUSED_MATH_OPS.map((op) => {
    const program = JSON.stringify([{ op, args: [0] }]);
    const programs = new WeakMap<Attrs, Attrs>();
    const reference = ref(op);
    return {
      device: "cpu",
      op,
      dtypes: ["float32"],
      kernel: (call, device) => {
        if (!fastPathOf(device)) return reference(call, device);
        let attrs = programs.get(call.attrs);
        if (!attrs) programs.set(call.attrs, (attrs = { program, outputs: [1] }));
        fused({ op: "fused", inputs: call.inputs, outputs: call.outputs, attrs }, device);
      },
    };
  });
}
