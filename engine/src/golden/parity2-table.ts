/**
 * How the second round of PyTorch-parity fixture ops (engine/fixtures/golden/ops-parity2-*.json,
 * written by engine/scripts/generate_parity_golden.py) are called on the engine.
 */
import * as E from "../index.ts";
import type { OpFn } from "./module-case.ts";

export const PARITY2_TABLE: Record<string, OpFn> = {
  leakyRelu: ([x], a) => E.leakyRelu(x!, a.negativeSlope),
  silu: ([x]) => E.silu(x!),
  elu: ([x], a) => E.elu(x!, a.alpha),
  selu: ([x]) => E.selu(x!),
  celu: ([x], a) => E.celu(x!, a.alpha),
  hardswish: ([x]) => E.hardswish(x!),
  hardsigmoid: ([x]) => E.hardsigmoid(x!),
  mish: ([x]) => E.mish(x!),
  relu6: ([x]) => E.relu6(x!),
  hardtanh: ([x], a) => E.hardtanh(x!, a.minVal, a.maxVal),
  logSigmoid: ([x]) => E.logSigmoid(x!),
  softsign: ([x]) => E.softsign(x!),
  softmin: ([x], a) => E.softmin(x!, a.dim),
  glu: ([x], a) => E.glu(x!, a.dim),
  prelu: ([x, w]) => E.prelu(x!, w!),
};
