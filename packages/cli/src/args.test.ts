import assert from "node:assert/strict";
import { test } from "node:test";
import { randomUnit } from "@polychip/hal";
import { parseFlags, UsageError, type FlagSpec } from "./args.ts";
import { TRAIN_FLAGS } from "./flags.ts";

const refused = (args: string[], message: RegExp) =>
  assert.throws(
    () => parseFlags("train", args, TRAIN_FLAGS),
    (e: Error) => e instanceof UsageError && message.test(e.message) && !e.message.includes("\n"),
  );

test("defaults fill every flag that is not given", () => {
  const { values } = parseFlags("train", [], TRAIN_FLAGS);
  assert.deepEqual(
    { model: values.model, epochs: values.epochs, batch: values.batch, lr: values.lr, seed: values.seed, subset: values.subset, maxSteps: values["max-steps"] },
    { model: "mlp", epochs: 1, batch: 64, lr: 0.001, seed: 1, subset: false, maxSteps: undefined },
  );
});

test("both --flag value and --flag=value forms are read", () => {
  const { values } = parseFlags("train", ["--lr", "3e-4", "--batch=128", "--subset", "--model=cnn"], TRAIN_FLAGS);
  assert.deepEqual([values.lr, values.batch, values.subset, values.model], [3e-4, 128, true, "cnn"]);
});

test("non-finite and non-numeric values are refused in one line naming flag, range and value", () => {
  refused(["--lr", "Infinity"], /--lr must be a finite number in \(0, 10\], got 'Infinity'/);
  refused(["--lr", "abc"], /--lr must be a finite number .* got 'abc'/);
  refused(["--lr", "NaN"], /got 'NaN'/);
  refused(["--lr", "0"], /--lr must be a finite number in \(0, 10\]/);
  refused(["--seed", "abc"], /--seed must be an integer in \[0, 4294967295\], got 'abc'/);
  refused(["--seed", "1.5"], /--seed must be an integer/);
  refused(["--batch", "0x10"], /--batch must be an integer/);
  refused(["--batch", ""], /--batch must be an integer/);
});

test("--epochs -1 is a bad value, not an unknown option", () => {
  refused(["--epochs", "-1"], /--epochs must be an integer in \[1, 10000\], got '-1'/);
});

test("unknown options, repeats, missing values and valued switches are refused", () => {
  refused(["--bathc", "8"], /unknown option '--bathc' \(options: --model, --epochs/);
  refused(["-x"], /unknown option '-x'/);
  refused(["--lr", "0.1", "--lr", "0.2"], /--lr is given more than once/);
  refused(["--lr"], /--lr needs a value/);
  refused(["--subset=yes"], /--subset is a switch/);
  refused(["stray"], /expects 0 positional arguments, got 1 \(stray\)/);
});

test("an unknown model lists the models", () => {
  refused(["--model", "resnet"], /--model 'resnet' is not one of: mlp, cnn, gpt/);
});

test("a repeatable string flag collects every value (how a --plugin list plugs in)", () => {
  const table = { plugin: { kind: "string", multiple: true } } as const;
  assert.deepEqual(parseFlags("x", ["--plugin", "a", "--plugin=b"], table).values.plugin, ["a", "b"]);
  assert.deepEqual(parseFlags("x", [], table).values.plugin, []);
});

/** Deeper local runs: POLYCHIP_FUZZ_CASES=200000 POLYCHIP_FUZZ_SEED=3. */
const CASES = Number(process.env.POLYCHIP_FUZZ_CASES ?? 5000);
const SEED = Number(process.env.POLYCHIP_FUZZ_SEED ?? 8);
const TOKENS = [
  ...Object.keys(TRAIN_FLAGS).map((k) => `--${k}`),
  "--",
  "-",
  "-1",
  "--lr=",
  "--=",
  "---lr",
  "--Lr",
  "--model=mlp=cnn",
  "0",
  "1",
  "-0",
  "64",
  "1e3",
  "1e-3",
  ".5",
  "5.",
  "1e",
  "Infinity",
  "-Infinity",
  "NaN",
  "abc",
  "0x10",
  " 8",
  "8 ",
  "１",
  "9007199254740993",
  "mlp",
  "cnn",
  "resnet",
  "",
  "=",
  "--subset=1",
  "__proto__",
  "--__proto__",
  "--constructor",
  "--toString",
  "1_000",
];

function satisfies(spec: FlagSpec, value: unknown): boolean {
  if (spec.kind === "boolean") return typeof value === "boolean";
  if (spec.kind === "string" && spec.multiple) return Array.isArray(value) && value.every((v) => typeof v === "string");
  if (spec.kind === "string") return value === undefined || (typeof value === "string" && (!spec.choices || spec.choices.includes(value)));
  if (value === undefined) return spec.default === undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value > spec.max) return false;
  if (spec.kind === "int") return Number.isInteger(value) && value >= spec.min;
  return spec.above !== undefined ? value > spec.above : value >= (spec.min ?? -Infinity);
}

test(`fuzz: ${CASES} seeded command lines either parse to in-range values or fail with one UsageError line`, () => {
  let parsed = 0;
  for (let c = 0; c < CASES; c++) {
    let k = 0;
    const draw = (n: number) => Math.floor(randomUnit(SEED * 7919 + c, k++) * n);
    const args = Array.from({ length: draw(7) }, () => TOKENS[draw(TOKENS.length)]!);
    try {
      const { values } = parseFlags("train", args, TRAIN_FLAGS);
      for (const [name, spec] of Object.entries(TRAIN_FLAGS)) {
        assert.ok(
          satisfies(spec, (values as Record<string, unknown>)[name]),
          `case ${c} ${JSON.stringify(args)}: --${name} = ${String((values as Record<string, unknown>)[name])}`,
        );
      }
      assert.ok(
        Object.keys(values).every((key) => Object.hasOwn(TRAIN_FLAGS, key)),
        `case ${c}: no keys outside the table`,
      );
      parsed++;
    } catch (err) {
      if (!(err instanceof UsageError)) throw new Error(`case ${c} ${JSON.stringify(args)} threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      assert.ok(!err.message.includes("\n"), `case ${c}: one line`);
    }
  }
  assert.ok(parsed > CASES / 20, `some command lines are valid (${parsed})`);
});
