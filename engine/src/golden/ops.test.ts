/**
 * Every op case of the PyTorch golden fixtures on the cpu device: forward values, then the
 * gradients of sum(out * w) w.r.t. each input, against torch's float64 results. The same cases
 * run on webgpu from `webgpu.test.ts` (the runner is `op-cases.ts`).
 */
import { describeOpCases } from "./op-cases.ts";

describeOpCases({ device: "cpu" });
