import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "./testing/cli-process.ts";

/** Each refused before any data is loaded: exit 1, one line on stderr, nothing on stdout. */
const REFUSED: [string[], RegExp][] = [
  [["train", "--lr", "Infinity"], /--lr must be a finite number in \(0, 10\], got 'Infinity'/],
  [["train", "--lr", "abc"], /--lr must be a finite number/],
  [["train", "--seed", "abc"], /--seed must be an integer in \[0, 4294967295\], got 'abc'/],
  [["train", "--epochs", "-1"], /--epochs must be an integer in \[1, 10000\], got '-1'/],
  [["train", "--device", "tpu"], /unknown device 'tpu'; available: cpu, webgpu, npu-sim/],
  [["train", "--model", "resnet"], /--model 'resnet' is not one of: mlp, cnn, gpt/],
  [["train", "--model", "mlp", "--text", "notes.txt"], /--text is for --model gpt/],
  [["eval", "m.pcm", "--device", "tpu"], /unknown device 'tpu'; available: cpu, webgpu, npu-sim/],
  [["conformance", "onnx", "x", "--rtol", "-1"], /--rtol must be a finite number in \[0, 1\], got '-1'/],
];

test("bad arguments end with exit 1 and one clear line, before any data is loaded", async () => {
  const runs = await Promise.all(REFUSED.map(([args]) => runCli(args)));
  runs.forEach((run, i) => {
    const [args, message] = REFUSED[i]!;
    assert.equal(run.code, 1, `${args.join(" ")}: exit code`);
    assert.equal(run.stdout, "", `${args.join(" ")}: nothing was done`);
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: one line, got ${JSON.stringify(run.stderr)}`);
    assert.match(lines[0]!, message);
  });
});

test("a batch larger than the data set is refused with both sizes, not a run that trains nothing", async () => {
  const run = await runCli(["train", "--subset", "--batch", "20000", "--json", "--out", join(tmpdir(), "polychip-never-written.pcck")]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /--batch 20000 is larger than the training set \(10000 images\); use at most 10000/);
});
