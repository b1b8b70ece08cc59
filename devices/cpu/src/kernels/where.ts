import { broadcastStrides } from "@polychip/hal";
import { openRawOutput, readRaw, readValues } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** where(cond, a, b): elements move unchanged (float16 bits included), all three inputs broadcast to the output. */
export const whereKernels: CpuRegistration[] = [
  cpuKernel("where", ({ inputs: [cond, a, b], outputs: [y] }) => {
    const shape = y!.shape;
    const c = readValues(cond!, shape, broadcastStrides(cond!.shape, cond!.strides, shape));
    const as = readRaw(a!, shape, broadcastStrides(a!.shape, a!.strides, shape));
    const bs = readRaw(b!, shape, broadcastStrides(b!.shape, b!.strides, shape));
    const out = openRawOutput(y!);
    const r = out.raw;
    for (let i = 0; i < r.length; i++) r[i] = c[i] !== 0 ? as[i]! : bs[i]!;
    out.commit();
  }),
];
