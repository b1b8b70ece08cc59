import { registerTfjsGradients } from "./tfjs-gradients.ts";
import type { TfjsPlatform } from "./tfjs.ts";

type Tf = typeof import("@tensorflow/tfjs-core");

let tfModule: Promise<Tf> | undefined;

/** tfjs in Node: the CommonJS builds, gradients bundled in by esbuild, no browser workers for wasm threads. */
export const nodeTfjsPlatform: TfjsPlatform = {
  loadTf: () =>
    (tfModule ??= import("@tensorflow/tfjs-core").then(async (tf) => {
      // Production mode: no per-op NaN checks and no "install tfjs-node" banner.
      tf.env().set("PROD", true);
      await registerTfjsGradients();
      return tf;
    })),

  async loadBackend(backend, tf, threads) {
    if (backend === "cpu") {
      await import("@tensorflow/tfjs-backend-cpu");
      return { detail: `@tensorflow/tfjs-backend-cpu ${tf.version_core}, plain JavaScript`, threads: 1 };
    }
    if (backend === "wasm") {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      // tfjs decides by itself whether its threaded build can run here (it cannot in Node).
      const canThread = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
      if (canThread) wasm.setThreadsCount(threads);
      if (!(await tf.setBackend("wasm"))) throw new Error("tfjs wasm backend failed to initialise");
      const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
      const actual = wasm.getThreadsCount();
      const why = canThread ? "" : " (tfjs reports no multithread support here: its threaded build needs browser workers)";
      return {
        detail: `@tensorflow/tfjs-backend-wasm ${wasm.version_wasm}, XNNPACK${simd ? " SIMD" : ""}, ${actual} thread${actual === 1 ? "" : "s"}${why}`,
        threads: actual,
      };
    }
    throw new Error(`tfjs ${backend} is not run in Node by this bench (see --webgpu)`);
  },
};
