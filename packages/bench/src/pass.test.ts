import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { conv2dCase, inferCase, matmulCase, trainCase } from "./cases.ts";
import { AGREEMENT_TOLERANCE, runPass, type PassResult } from "./pass.ts";
import { runPassInChild } from "./run-pass.ts";
import { CPU_RUNNER_IDS, createRunner } from "./runners/index.ts";
import { PyTorchRunner } from "./runners/pytorch.ts";
import { SMOKE_SAMPLING } from "./sampling.ts";

// A smoke test of the harness on tiny shapes: every runner starts, measures and agrees. No speed is asserted.
const tinyCases = [matmulCase(16), conv2dCase({ batch: 1, channels: 4, size: 8, outChannels: 4, kernel: 3 }), trainCase("mlp", 4), inferCase("cnn", 1)];

describe("one pass of every cpu runner on tiny cases", () => {
  let pass: PassResult;
  before(async () => {
    pass = await runPass({ threads: 1, cases: tinyCases, runners: CPU_RUNNER_IDS.map(createRunner), sampling: SMOKE_SAMPLING });
  });

  test("the JavaScript peers and onnxruntime all start", () => {
    for (const id of ["polychip", "tfjs-cpu", "tfjs-wasm", "ort-web", "ort-node"]) {
      assert.ok(
        pass.runners.some((r) => r.id === id),
        `${id}: ${pass.unavailable[id]}`,
      );
    }
  });

  test("every started runner measured each case it covers, or said why it could not", () => {
    for (const c of pass.cases) {
      for (const [id, e] of Object.entries(c.entries)) {
        if (e.status === "ok") assert.ok(e.summary.runs >= 1 && e.summary.median > 0, `${c.id} ${id}`);
        else assert.equal(e.status, "unsupported", `${c.id} ${id}: ${e.status === "error" ? e.message : ""}`);
      }
    }
  });

  test("every output agrees with onnxruntime-node's", () => {
    for (const c of pass.cases.filter((x) => x.kind !== "train")) {
      for (const [id, e] of Object.entries(c.entries)) {
        if (e.status !== "ok" || id === "ort-node") continue;
        assert.equal(e.agreement?.vs, "ort-node", `${c.id} ${id}`);
        assert.ok(e.agreement.relativeDifference < AGREEMENT_TOLERANCE, `${c.id} ${id}: ${e.agreement.relativeDifference}`);
      }
    }
  });

  test("onnxruntime says it cannot train, with the reason", () => {
    const mlp = pass.cases.find((c) => c.id === "mlp-train-4")!;
    const e = mlp.entries["ort-node"]!;
    assert.equal(e.status, "unsupported");
    assert.match(e.status === "unsupported" ? e.reason : "", /^cannot train: onnxruntime-node has inference only/);
  });

  test("Polychip and tfjs start the MLP step from the same loss (same weights, same batch)", () => {
    const mlp = pass.cases.find((c) => c.id === "mlp-train-4")!;
    const loss = (id: string) => {
      const e = mlp.entries[id]!;
      return e.status === "ok" ? e.firstLoss! : NaN;
    };
    assert.ok(Math.abs(loss("polychip") - loss("tfjs-cpu")) < 1e-4);
    assert.ok(Math.abs(loss("polychip") - loss("tfjs-wasm")) < 1e-4);
  });

  test("PyTorch trains the MLP when it is installed, and says plainly when it is not", () => {
    if (pass.unavailable.pytorch) {
      assert.match(pass.unavailable.pytorch, /PyTorch not measured: .*(not installed|does not exist)/);
    } else {
      const e = pass.cases.find((c) => c.id === "mlp-train-4")!.entries.pytorch!;
      assert.equal(e.status, "ok");
      assert.match(pass.runners.find((r) => r.id === "pytorch")!.detail, /BLAS_INFO=/);
    }
  });
});

test("tfjs-wasm is found unable to train the CNN (no Conv2DBackpropFilter), detected by trying", async () => {
  const pass = await runPass({ threads: 1, cases: [trainCase("cnn", 1)], runners: ["polychip", "tfjs-wasm"].map(createRunner), sampling: SMOKE_SAMPLING });
  const entries = pass.cases[0]!.entries;
  assert.equal(entries.polychip!.status, "ok");
  const wasm = entries["tfjs-wasm"]!;
  assert.equal(wasm.status, "unsupported");
  assert.match(wasm.status === "unsupported" ? wasm.reason : "", /^cannot train: .*Conv2DBackpropFilter/);
});

test("PyTorch with no interpreter is reported as not measured", async () => {
  const info = await new PyTorchRunner("/nonexistent/python3").init(1);
  assert.ok("unavailable" in info);
  assert.match(info.unavailable, /PyTorch not measured: \/nonexistent\/python3 does not exist/);
});

test("a pass runs in its own process and returns its figures", async () => {
  const result = await runPassInChild({ threads: 2, cases: [matmulCase(8)], runners: ["polychip"], sampling: SMOKE_SAMPLING }, () => {});
  assert.equal(result.threads, 2);
  assert.equal(result.cases[0]!.entries.polychip!.status, "ok");
});
