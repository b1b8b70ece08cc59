/**
 * Optimiser trajectories and LR schedules against torch.optim, as one runner shared by every
 * device: each case feeds the same gradients for 5 steps and compares the parameters after every
 * step. `optimizers.test.ts` runs it on cpu, `webgpu.test.ts` on webgpu.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { optim, tensor, type Tensor } from "../index.ts";
import { assertClose, loadGolden, type OptimizerCase, type SchedulerCase, type SchedulerSpec } from "./fixtures.ts";

// Parameters are O(1): 1e-5 relative with a 1e-6 floor for values that pass near zero.
const PARAMS = { rtol: 1e-5, atol: 1e-6 };
const LR = { rtol: 1e-9, atol: 1e-12 };

function makeOptimizer(c: OptimizerCase, params: Tensor[]): optim.Optimizer<any> {
  const { groups, ...o } = c.options as Record<string, any>;
  // A case with "groups" puts parameter i in group i, with that group's own options.
  const p: any = groups ? (groups as Record<string, unknown>[]).map((g, i) => ({ params: [params[i]!], ...g })) : params;
  switch (c.optimizer) {
    case "SGD":
      return new optim.SGD(p, defined({ lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weightDecay, nesterov: o.nesterov }));
    case "Adam":
      return new optim.Adam(p, defined({ lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay }));
    case "AdamW":
      return new optim.AdamW(p, defined({ lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay }));
    case "RMSprop":
      return new optim.RMSprop(p, defined({ lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, centered: o.centered }));
    case "Adagrad":
      return new optim.Adagrad(
        p,
        defined({ lr: o.lr, lrDecay: o.lrDecay, weightDecay: o.weightDecay, initialAccumulatorValue: o.initialAccumulatorValue, eps: o.eps }),
      );
  }
}

/** The learning-rate functions LambdaLR fixtures name (a fixture cannot hold code). */
const LAMBDAS: Record<string, (epoch: number) => number> = {
  inverse_sqrt_warmup: (e) => Math.min((e + 1) / 3, Math.sqrt(3) / Math.sqrt(e + 1)),
};

type Stepper = { step(metric?: number): void };

function makeScheduler(spec: SchedulerSpec, opt: optim.Optimizer<any>): Stepper {
  switch (spec.kind) {
    case "StepLR":
      return new optim.StepLR(opt, spec.stepSize, spec.gamma);
    case "CosineAnnealingLR":
      return new optim.CosineAnnealingLR(opt, spec.tMax, spec.etaMin);
    case "MultiStepLR":
      return new optim.MultiStepLR(opt, spec.milestones, spec.gamma);
    case "ExponentialLR":
      return new optim.ExponentialLR(opt, spec.gamma);
    case "LambdaLR":
      return new optim.LambdaLR(opt, LAMBDAS[spec.fn]!);
    case "LinearLR":
      return new optim.LinearLR(opt, spec.startFactor, spec.endFactor, spec.totalIters);
    case "SequentialLR":
      return new optim.SequentialLR(opt, [new optim.LinearLR(opt, 0.1, 1, 3), new optim.CosineAnnealingLR(opt, 6, 0.01)], spec.milestones);
    case "OneCycleLR":
      return new optim.OneCycleLR(
        opt,
        spec.maxLr,
        defined({ totalSteps: spec.totalSteps, annealStrategy: spec.annealStrategy, threePhase: spec.threePhase, pctStart: spec.pctStart }),
      );
    case "ReduceLROnPlateau": {
      const s = new optim.ReduceLROnPlateau(opt, {
        factor: spec.factor,
        patience: spec.patience,
        threshold: spec.threshold,
        cooldown: spec.cooldown,
        minLr: spec.minLr,
      });
      let i = 0;
      return { step: () => s.step(spec.metrics[i++]!) };
    }
  }
}

/** Drops keys the fixture leaves out, so the optimisers' own defaults apply (as torch's do). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Registers the optimiser and scheduler suites with parameters and gradients on `device`. */
export function describeOptimizerCases(device: string, skipAll: string | false = false): void {
  const prefix = device === "cpu" ? "golden" : `golden on ${device}:`;
  const optimizers = loadGolden<OptimizerCase>("optimizers.json");
  describe(`${prefix} optimizers (torch ${optimizers.torch})`, () => {
    for (const c of optimizers.cases) {
      test(c.name, { skip: skipAll }, async () => {
        const params = c.params.map((p) => tensor(Float32Array.from(p.values), { shape: p.shape, requiresGrad: true, device }));
        const opt = makeOptimizer(c, params);
        const sched = c.scheduler ? makeScheduler(c.scheduler, opt) : undefined;
        try {
          for (const [step, grads] of c.grads.entries()) {
            params.forEach((p, i) => (p.grad = tensor(Float32Array.from(grads[i]!), { shape: c.params[i]!.shape, device })));
            opt.step();
            sched?.step();
            opt.zeroGrad();
            for (const [i, p] of params.entries()) {
              assertClose(await p.data(), c.paramsAfterStep[step]![i]!, PARAMS, `param ${i} after step ${step + 1}`);
            }
          }
        } finally {
          opt.dispose();
          params.forEach((p) => p.dispose());
        }
      });
    }
  });

  const schedulers = loadGolden<SchedulerCase>("schedulers.json");
  describe(`${prefix} LR schedulers (torch ${schedulers.torch})`, () => {
    for (const c of schedulers.cases) {
      test(c.name, { skip: skipAll }, () => {
        const p = tensor([0], { requiresGrad: true, device });
        const opt = new optim.SGD([p], { lr: c.baseLr });
        const sched = makeScheduler(c.scheduler, opt);
        const lrs: number[] = [];
        for (let i = 0; i < c.lrAfterStep.length; i++) {
          sched.step();
          lrs.push(opt.lr);
        }
        p.dispose();
        assert.equal(lrs.length, c.lrAfterStep.length);
        assertClose(lrs, c.lrAfterStep, LR, "learning rates");
      });
    }
  });
}
