/// <reference types="@webgpu/types" />
/**
 * The browser side of `pnpm bench --webgpu`: bundled by esbuild, served from 127.0.0.1 and driven by
 * Playwright. Every runner lives in this one page (one Chromium process, one GPU device each) and
 * they take turns exactly as the cpu runners do in Node.
 */
import type { DevicePlugin } from "@polychip/hal";
import type { BenchCase } from "../cases.ts";
import { runPass, type PassResult } from "../pass.ts";
import { OnnxRuntimeRunner } from "../runners/onnxruntime.ts";
import { PolychipRunner } from "../runners/polychip.ts";
import { TfjsRunner } from "../runners/tfjs.ts";
import type { SamplingPolicy } from "../sampling.ts";
import { browserTfjsPlatform } from "./browser-tfjs-platform.ts";
// Resolved at bundle time: the webgpu plugin, or undefined while @polychip/device-webgpu does not exist.
import { plugin as webgpuPlugin } from "bench:device-webgpu";

export interface AdapterDescription {
  readonly available: boolean;
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly software: boolean;
  readonly crossOriginIsolated: boolean;
}

async function describeAdapter(): Promise<AdapterDescription> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return { available: false, software: false, crossOriginIsolated };
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return {
    available: true,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: text.includes("swiftshader") || (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
    crossOriginIsolated,
  };
}

async function run(cases: BenchCase[], sampling: SamplingPolicy): Promise<PassResult> {
  const runners = [
    new PolychipRunner("webgpu", async () => webgpuPlugin as DevicePlugin<any> | undefined),
    new TfjsRunner("webgpu", browserTfjsPlatform),
    new OnnxRuntimeRunner("webgpu", async () => {
      const ort = await import("onnxruntime-web/webgpu");
      // The WASM half of onnxruntime-web comes from the bench server, not from the bundle.
      ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
      ort.env.wasm.numThreads = 1;
      return ort;
    }),
  ];
  return runPass({
    threads: 1,
    cases,
    runners,
    sampling,
    referenceOrder: ["ort-webgpu", "polychip-webgpu"],
    label: "webgpu",
    log: (line) => console.log(`[bench] ${line}`),
  });
}

(globalThis as { polychipBench?: unknown }).polychipBench = { describeAdapter, run };
