/**
 * Optimiser trajectories and LR schedules against torch.optim on the cpu device; the same cases
 * run on webgpu from `webgpu.test.ts` (the runner is `optimizer-cases.ts`).
 */
import { describeOptimizerCases } from "./optimizer-cases.ts";

describeOptimizerCases("cpu");
