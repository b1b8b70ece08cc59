import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import type { TfjsPlatform } from "../runners/tfjs.ts";

/** tfjs in the page: the ES-module build registers gradients directly; the WebGPU backend is bundled in. */
export const browserTfjsPlatform: TfjsPlatform = {
  async loadTf() {
    tf.env().set("PROD", true);
    return tf;
  },
  async loadBackend(backend, core) {
    if (backend !== "webgpu") throw new Error(`the page runs tfjs webgpu only, not ${backend}`);
    await import("@tensorflow/tfjs-backend-webgpu");
    if (!(await core.setBackend("webgpu"))) throw new Error("tfjs webgpu backend failed to initialise (no adapter?)");
    return { detail: `@tensorflow/tfjs-backend-webgpu ${core.version_core}`, threads: 1 };
  },
};
