import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { StudioPage } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
});

after(async () => {
  await studio?.close();
});

const MINE = 'import { tensor } from "polychip";\n// my own work\nconsole.log(tensor([1, 2]).sum().toString());\n';
const SHARED = 'import { tensor } from "polychip";\n// someone else\'s code\nconsole.log("shared");\n';
const link = (code: string) => `#code=${(deflateRawSync(new TextEncoder().encode(code)) as unknown as Buffer).toString("base64url")}`;
const savedCode = () => studio.page.evaluate(() => localStorage.getItem("polychip-studio:code"));
const hash = () => studio.page.evaluate(() => location.hash);

test("a link pasted into the open studio is offered, never replacing the saved code", async () => {
  await studio.setCode(MINE);
  await studio.page.evaluate((h) => (location.hash = h), link(SHARED));
  await studio.page.waitForSelector('[data-testid="share-offer"]');
  assert.equal(await studio.getCode(), MINE);
  assert.equal(await savedCode(), MINE);
  await studio.screenshot("share-offer");
  await studio.page.click('[data-testid="share-keep"]');
  await studio.page.waitForSelector('[data-testid="share-offer"]', { state: "detached" });
  assert.equal(await studio.getCode(), MINE);
  assert.equal(await hash(), "", "the link's hash is removed once answered");
});

test("opening a link on load asks first; the opened code's edits survive a reload; the user's code comes back", async () => {
  await studio.load(studio.server.url + link(SHARED));
  await studio.page.waitForSelector('[data-testid="share-offer"]');
  assert.equal(await studio.getCode(), MINE, "the saved code is shown until the user chooses");
  await studio.page.click('[data-testid="share-open"]');
  await studio.page.waitForFunction((c) => (window as any).polychipStudio.getCode() === c, SHARED);
  assert.equal(await hash(), "");
  assert.equal(await studio.page.textContent('[data-testid="code-label"]'), "your code");

  const edited = `${SHARED}console.log("my edit");\n`;
  await studio.setCode(edited);
  await studio.load();
  assert.equal(await studio.getCode(), edited, "edits made after opening the link survive the reload");
  await studio.page.waitForSelector('[data-testid="share-before"]');
  await studio.page.click('[data-testid="share-restore"]');
  await studio.page.waitForFunction((c) => (window as any).polychipStudio.getCode() === c, MINE);
  assert.equal(await savedCode(), MINE);
  assert.deepEqual(studio.pageErrors, []);
});
