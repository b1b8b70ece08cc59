import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { StudioPage } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
});

after(async () => {
  await studio?.close();
});

test("? opens the keyboard shortcut list, which says how to Tab out of the editor, and Escape closes it", async () => {
  const { page } = studio;
  await page.locator("body").click({ position: { x: 5, y: 790 } });
  await page.keyboard.press("?");
  const dialog = page.locator('[data-testid="shortcuts-help"]');
  await dialog.waitFor();
  const text = (await dialog.textContent()) ?? "";
  assert.match(text, /Ctrl\+M.*Tab moves the focus out of the editor/);
  assert.match(text, /Ctrl\+Enter.*Run the code/);
  await page.keyboard.press("Escape");
  assert.equal(await dialog.count(), 0);
  await page.click('[data-testid="open-shortcuts"]');
  await dialog.waitFor();
  await page.keyboard.press("Escape");
});

test("what the list says works: after Ctrl+M, Tab leaves the editor", async () => {
  const { page } = studio;
  await page.click(".monaco-editor .view-lines");
  const inEditor = () => page.evaluate(() => !!document.activeElement?.closest(".monaco-editor"));
  await page.keyboard.press("Tab");
  assert.ok(await inEditor(), "a plain Tab indents, focus stays");
  await page.keyboard.press("Control+M");
  await page.keyboard.press("Tab");
  assert.equal(await inEditor(), false, "Tab moved the focus out");
  await page.click(".monaco-editor .view-lines");
  await page.keyboard.press("Control+M");
});

test("with keep state, the next run goes on from what the last one kept; Reset state starts from nothing", async () => {
  const { page } = studio;
  const code = `
import { nn, session } from "polychip";
session.runs = (session.runs ?? 0) + 1;
session.model ??= new nn.Linear(2, 1);
console.log(\`run \${session.runs}, weight \${(await session.model.weight.data())[0]}\`);
`;
  const runOnce = async () => {
    await studio.setCode(code);
    await studio.run();
    const snap = await studio.finished(30_000);
    assert.equal(snap.status, "done", snap.error?.message);
    return snap.console.map((c) => c.text).find((t) => t.startsWith("run "))!;
  };
  const fresh = await runOnce();
  assert.match(fresh, /^run 1,/);
  const last = await runOnce();
  assert.match(last, /^run 1,/, "without keep state every run starts from nothing");
  await page.check('[data-testid="keep-worker"]');
  const next = await runOnce();
  assert.match(next, /^run 2,/, "the last run's worker is kept, with its session");
  assert.equal(next.split("weight ")[1], last.split("weight ")[1], "the same model, not a new random one");
  assert.match(await runOnce(), /^run 3,/);
  assert.equal(await page.textContent('[data-testid="reset-session"]'), "Reset state (3 runs)");
  await page.click('[data-testid="reset-session"]');
  assert.match(await runOnce(), /^run 1,/);
  await page.uncheck('[data-testid="keep-worker"]');
});

test("with keep state, top-level variables, functions and classes survive to the next run, as a notebook's cells", async () => {
  const { page } = studio;
  const runCode = async (code: string) => {
    await studio.setCode(code);
    await studio.run();
    return studio.finished(30_000);
  };
  await page.check('[data-testid="keep-worker"]');
  await page.click('[data-testid="reset-session"]').catch(() => undefined); // start from nothing
  const first = await runCode(`
import { nn } from "polychip";
let count = 41;
const model = new nn.Linear(3, 2);
function describe(m: nn.Linear) { return m.weight.shape.join("×"); }
`);
  assert.equal(first.status, "done", first.error?.message);
  assert.equal(await page.getAttribute('[data-testid="reset-session"]', "data-kept"), "count,model,describe");
  // The editor knows the kept names too: of these two, only the one never declared is underlined.
  await studio.setCode("count++;\nneverDeclared++;\n");
  await page.waitForFunction(() => (window as any).polychipStudio.editorMarkers() === 1, undefined, { timeout: 60_000 });
  const second = await runCode(`count++;\nconsole.log(\`count \${count}, weight \${describe(model)}\`);`);
  assert.equal(second.status, "done", second.error?.message);
  assert.ok(
    second.console.some((c) => c.text === "count 42, weight 2×3"),
    second.console.map((c) => c.text).join(" | "),
  );
  const third = await runCode(`console.log(\`count \${count}\`);`);
  assert.ok(
    third.console.some((c) => c.text === "count 42"),
    "what run 2 changed is what run 3 sees",
  );
  await page.click('[data-testid="reset-session"]');
  const afterReset = await runCode(`\nconsole.log(count);`);
  assert.equal(afterReset.status, "error");
  assert.match(afterReset.error!.message, /ReferenceError: count is not defined/);
  assert.equal(afterReset.error!.line, 2);
  await page.uncheck('[data-testid="keep-worker"]');
});
