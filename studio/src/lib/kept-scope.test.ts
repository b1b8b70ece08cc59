import { test } from "node:test";
import assert from "node:assert/strict";
import { KeptScope, topLevelNames } from "./kept-scope.ts";
import { compileUserCode, locateRuntimeError, transpileUserCode } from "./transpile.ts";

/** Runs `source` as the studio's worker does, with `scope` kept between calls; returns what it logged. */
async function run(scope: KeptScope, source: string): Promise<unknown[]> {
  const logged: unknown[] = [];
  const fakeConsole = { log: (...a: unknown[]) => logged.push(a.length === 1 ? a[0] : a) };
  const fn = compileUserCode(transpileUserCode(source, scope.prelude(source)));
  try {
    await fn(() => ({}), {}, { exports: {} }, fakeConsole, scope.binding());
  } finally {
    scope.capture();
  }
  return logged;
}

test("top-level declarations are found, types and inner scopes are not", () => {
  const { declared, imported } = topLevelNames(`import { nn } from "polychip";
const a = 1, { b, c: [d] } = { b: 2, c: [3] };
function f() { const inner = 1; return inner; }
class G {}
for (let i = 0; i < 1; i++) {}
type T = number;
let e: T = 2;`);
  assert.deepEqual(declared, ["a", "b", "d", "f", "G", "e"]);
  assert.deepEqual(imported, ["nn"]);
});

test("a later run reads and updates what an earlier run declared, as a notebook's next cell", async () => {
  const scope = new KeptScope();
  assert.deepEqual(await run(scope, "let count = 41;\nconst greet = (n: number) => `hi ${n}`;\nclass Box { v = 7 }"), []);
  assert.deepEqual(await run(scope, "count++;\nconsole.log(greet(count), new Box().v);"), [["hi 42", 7]]);
  assert.deepEqual(await run(scope, "console.log(count);"), [42]);
  assert.deepEqual(scope.names(), ["count", "greet", "Box"]);
});

test("a run that declares a name again starts it afresh; a fresh scope knows nothing", async () => {
  const scope = new KeptScope();
  await run(scope, "const x = 1;");
  assert.deepEqual(await run(scope, "const x = 2;\nconsole.log(x);"), [2]);
  assert.deepEqual(await run(scope, "console.log(x);"), [2]);
  await assert.rejects(run(new KeptScope(), "console.log(x);"), /x is not defined/);
});

test("a run that fails before a declaration keeps the earlier value, and errors keep their line", async () => {
  const scope = new KeptScope();
  await run(scope, "let y = 5;");
  const error = await run(scope, "\nthrow new Error('boom');\nlet y = 6;").then(
    () => undefined,
    (e: unknown) => locateRuntimeError(e),
  );
  assert.equal(error?.line, 2);
  assert.deepEqual(await run(scope, "console.log(y);"), [5]);
});
