/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), headless, with
 * WebGPU enabled (SwiftShader's software adapter on machines without a GPU).
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.POLYCHIP_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-unsafe-webgpu",
  // Background tabs and workers must not be throttled while a test waits on them.
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
