import { test } from "node:test";
import assert from "node:assert/strict";
import { codeLabel } from "./code-label.ts";

const example = { title: "Fashion-MNIST MLP", code: "// MLP example\nconst STEPS = 300;\n" };

test("the example's title while the editor holds its code", () => {
  assert.equal(codeLabel(example.code, example), "Fashion-MNIST MLP");
});

test("an edited example is marked as edited", () => {
  assert.equal(codeLabel("// MLP example\nconst STEPS = 5;\n", example), "Fashion-MNIST MLP (edited)");
});

test("code that replaced the example is the user's own", () => {
  assert.equal(codeLabel('import { tensor } from "polychip";\n', example), "your code");
  assert.equal(codeLabel("anything", undefined), "your code");
});
