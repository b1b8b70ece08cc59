import { test } from "node:test";
import assert from "node:assert/strict";
import { compileUserCode, locateRuntimeError, transpileUserCode, UserCodeError, wrapperHeaderLines } from "./transpile.ts";

const SOURCE = [
  'import { tensor } from "polychip";', // 1
  "interface Point {", // 2
  "  x: number;", // 3
  "}", // 4
  "const p: Point = { x: 1 };", // 5
  "const t = tensor([p.x]);", // 6
  "if (t.v > 0) throw new Error('boom');", // 7
].join("\n");

function fakeRequire(name: string): unknown {
  if (name !== "polychip") throw new Error(`no module ${name}`);
  return { tensor: (v: number[]) => ({ v: v[0] }) };
}

test("transpiled code keeps every line where it was", () => {
  const { body } = transpileUserCode(SOURCE);
  const lines = body.split("\n");
  assert.match(lines[5]!, /tensor/);
  assert.match(lines[6]!, /throw new Error\('boom'\)/);
  assert.doesNotMatch(body, /interface Point/);
});

test("a syntax error reports its line and column", () => {
  assert.throws(
    () => transpileUserCode("const a = 1;\nconst b = 2;\nconst c = ;\n"),
    (e: unknown) => e instanceof UserCodeError && e.kind === "syntax" && e.line === 3 && e.column === 11 && /^SyntaxError/.test(e.message),
  );
});

test("a runtime error is located on the user's line", async () => {
  const fn = compileUserCode(transpileUserCode(SOURCE));
  const err = await fn(fakeRequire, {}, {}, console).then(
    () => assert.fail("expected the code to throw"),
    (e: unknown) => locateRuntimeError(e),
  );
  assert.equal(err.kind, "runtime");
  assert.equal(err.line, 7);
  assert.equal(err.message, "Error: boom");
});

test("an error raised inside a called library is located at the user's calling line", async () => {
  const source = 'import { tensor } from "polychip";\n\nconst x = 1;\ntensor(null as any);\n';
  const lib = { tensor: (v: number[]) => v.length };
  const fn = compileUserCode(transpileUserCode(source));
  const err = await fn(() => lib, {}, {}, console).then(
    () => undefined,
    (e: unknown) => locateRuntimeError(e),
  );
  assert.equal(err?.line, 4);
  assert.equal(err?.errorName, "TypeError");
});

test("top-level await works in user code", async () => {
  const fn = compileUserCode(transpileUserCode("const v: number = await Promise.resolve(41);\nexports.answer = v + 1;"));
  const exportsObject: Record<string, number> = {};
  await fn(fakeRequire, exportsObject, {}, console);
  assert.equal(exportsObject.answer, 42);
});

test("the wrapper header is measured as V8's two lines", () => {
  assert.equal(wrapperHeaderLines(), 2);
});
