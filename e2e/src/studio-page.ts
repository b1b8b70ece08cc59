/**
 * Opens the built studio in Chromium and drives it through the page's test hook
 * (window.polychipStudio) and its visible controls.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startStudioServer, type StudioServer } from "@polychip/studio";
import { launchChromium } from "./browser.ts";

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "../artifacts");

export interface Snapshot {
  status: "idle" | "running" | "done" | "error" | "stopped" | "crashed";
  device?: string;
  error?: { kind: "syntax" | "runtime"; name: string; message: string; line?: number; column?: number };
  fallback: { device: string; op: string; dtype: string; reason: string; count: number }[];
  metrics: { step: number; time: number; values: Record<string, number>; samples?: number }[];
  eventCount: number;
  opRows: { name: string; device: string; category: string; count: number; totalMs: number; argTotals: Record<string, number> }[];
  console: { level: string; text: string; time: number }[];
  devices?: { name: string; available: boolean; reason?: string; details: Record<string, unknown>; noKernel?: string[]; softwareAdapter?: boolean }[];
  features?: Record<string, { ok: boolean; reason?: string }>;
  model?: { name: string; parameters: number };
  graph?: { ok: boolean; reason?: string; value?: { nodes: { op: string }[] } };
  files: { name: string; kind: string; detail: string }[];
}

async function waitUntilReady(page: Page): Promise<void> {
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: 60_000 });
  await page.waitForFunction(() => (window as any).polychipStudio?.snapshot().devices !== undefined, undefined, { timeout: 60_000 });
}

export class StudioPage {
  private constructor(
    readonly server: StudioServer,
    readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly pageErrors: string[],
  ) {}

  static async open(options: { colorScheme?: "dark" | "light" } = {}): Promise<StudioPage> {
    const server = await startStudioServer({ skipBuild: process.env.POLYCHIP_E2E_BUILT === "1", quiet: true });
    const browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? "dark", acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url);
    await waitUntilReady(page);
    return new StudioPage(server, browser, context, page, errors);
  }

  /** Loads the studio again (a reload, or another URL of it as a fresh page load) and waits until it is ready. */
  async load(url?: string): Promise<void> {
    if (url === undefined) await this.page.reload();
    else {
      await this.page.goto("about:blank");
      await this.page.goto(url);
    }
    await waitUntilReady(this.page);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.server.close();
  }

  snapshot(): Promise<Snapshot> {
    return this.page.evaluate(() => (window as any).polychipStudio.snapshot());
  }

  getCode(): Promise<string> {
    return this.page.evaluate(() => (window as any).polychipStudio.getCode());
  }

  async setCode(code: string): Promise<void> {
    await this.page.evaluate((c) => (window as any).polychipStudio.setCode(c), code);
  }

  async openExample(id: string): Promise<string> {
    await this.page.click('[data-testid="open-gallery"]');
    await this.page.click(`[data-example="${id}"]`);
    return this.getCode();
  }

  async selectDevice(name: string): Promise<void> {
    await this.page.selectOption('[data-testid="device-select"]', name);
  }

  async tab(id: "charts" | "profiler" | "graph" | "model" | "data" | "devices"): Promise<void> {
    await this.page.click(`[data-tab="${id}"]`);
  }

  async run(): Promise<void> {
    await this.page.click('[data-testid="run"]');
    await this.page.waitForFunction(() => (window as any).polychipStudio.progress().status !== "idle", undefined, { timeout: 10_000 });
  }

  /** Waits until the run leaves "running"; returns the final snapshot. */
  async finished(timeoutMs = 180_000): Promise<Snapshot> {
    await this.page.waitForFunction(() => (window as any).polychipStudio.progress().status !== "running", undefined, { timeout: timeoutMs, polling: 250 });
    return this.snapshot();
  }

  async waitForSteps(n: number, timeoutMs = 120_000): Promise<void> {
    await this.page.waitForFunction((k) => (window as any).polychipStudio.progress().steps >= k, n, { timeout: timeoutMs, polling: 200 });
  }

  /** Starts a page timer that records the longest gap between its ticks (main-thread stalls). */
  async startStallMonitor(): Promise<void> {
    await this.page.evaluate(() => {
      const w = window as any;
      const t0 = performance.now();
      w.__stall = { max: 0, ticks: 0, long: [], t0, last: t0 };
      w.__stallTimer = setInterval(() => {
        const now = performance.now();
        const gap = now - w.__stall.last;
        w.__stall.max = Math.max(w.__stall.max, gap);
        if (gap > 100) w.__stall.long.push({ gap, at: now - t0 });
        w.__stall.ticks++;
        w.__stall.last = now;
      }, 50);
    });
  }

  /** Stops the timer; the gap since its last tick counts too, and `elapsed` is how long it watched. */
  async stopStallMonitor(): Promise<{ max: number; ticks: number; elapsed: number; long: { gap: number; at: number }[] }> {
    return this.page.evaluate(() => {
      const w = window as any;
      clearInterval(w.__stallTimer);
      const now = performance.now();
      const s = w.__stall;
      return { max: Math.max(s.max, now - s.last), ticks: s.ticks, elapsed: now - s.t0, long: s.long };
    });
  }

  /**
   * How much of an element is cut off by the window or by a clipping ancestor (overflow other than
   * visible), as a fraction of its area: 0 when all of it can be seen.
   */
  clippedFraction(selector: string): Promise<number> {
    return this.page.$eval(selector, (el) => {
      const r = el.getBoundingClientRect();
      let [left, top, right, bottom] = [Math.max(r.left, 0), Math.max(r.top, 0), Math.min(r.right, innerWidth), Math.min(r.bottom, innerHeight)];
      const fixed = getComputedStyle(el).position === "fixed";
      for (let a = el.parentElement; a && !fixed; a = a.parentElement) {
        const css = getComputedStyle(a);
        if (css.overflowX === "visible" && css.overflowY === "visible") continue;
        const ar = a.getBoundingClientRect();
        [left, top, right, bottom] = [Math.max(left, ar.left), Math.max(top, ar.top), Math.min(right, ar.right), Math.min(bottom, ar.bottom)];
      }
      const seen = Math.max(0, right - left) * Math.max(0, bottom - top);
      return 1 - seen / (r.width * r.height);
    });
  }

  /** Moves the mouse along a lane of the timeline (0 = steps, 1.. = tracks; negative counts from the last) until a tooltip shows. */
  async hoverTimelineLane(lane: number): Promise<boolean> {
    const box = (await this.page.locator('[data-testid="timeline"]').boundingBox())!;
    const lanes = Math.round((box.height - 22 - 6) / 24);
    const index = lane < 0 ? lanes + lane : lane;
    const y = box.y + 22 + index * 24 + 12;
    for (let x = box.x + 120; x < box.x + box.width - 2; x += 6) {
      await this.page.mouse.move(x, y);
      if (await this.page.locator('[data-testid="tooltip"], .tooltip').count()) return true;
    }
    return false;
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}

/** Rewrites an example's `const NAME = <number>;` line. */
export function withConstant(code: string, name: string, value: number): string {
  const re = new RegExp(`const ${name} = \\d+;`);
  if (!re.test(code)) throw new Error(`the code has no 'const ${name} = <number>;' line`);
  return code.replace(re, `const ${name} = ${value};`);
}

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
