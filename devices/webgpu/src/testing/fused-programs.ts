/** Test support: fused programs written as step lists, and an Adam update as a realistic one. */
import type { Attrs, DType } from "@polychip/hal";
import { t, values, type HostInput } from "./harness.ts";

export type Step = { op: string; args: number[]; to?: DType; value?: number };
export const program = (steps: Step[], outputs: number[]): Attrs => ({ program: JSON.stringify(steps), outputs });
export const c = (value: number, to?: DType): Step => ({ op: "const", args: [], value, ...(to ? { to } : {}) });
export const s = (op: string, ...args: number[]): Step => ({ op, args });

// An Adam step on one parameter tensor: 13 ops (7 constants) reading p, g, m, v and writing p', m', v'.
export const ADAM = program(
  [
    c(0.9), // 4 beta1
    c(0.1), // 5 1 - beta1
    c(0.999), // 6 beta2
    c(0.001), // 7 1 - beta2
    c(1 / (1 - 0.999 ** 3)), // 8 1 / bias correction 2 (step 3)
    c(1e-8), // 9 eps
    c(0.01 / (1 - 0.9 ** 3)), // 10 lr / bias correction 1
    s("mul", 4, 2), // 11
    s("mul", 5, 1), // 12
    s("add", 11, 12), // 13 m'
    s("mul", 6, 3), // 14
    s("mul", 1, 1), // 15
    s("mul", 7, 15), // 16
    s("add", 14, 16), // 17 v'
    s("mul", 17, 8), // 18 v hat
    s("sqrt", 18), // 19
    s("add", 19, 9), // 20
    s("mul", 13, 10), // 21 lr * m hat
    s("div", 21, 20), // 22
    s("sub", 0, 22), // 23 p'
  ],
  [23, 13, 17],
);

export function adamInputs(n: number): HostInput[] {
  return [t(values(n, -1, 1, 11), [n]), t(values(n, -0.1, 0.1, 12), [n]), t(values(n, -0.01, 0.01, 13), [n]), t(values(n, 0, 1e-4, 14), [n])];
}
