import { OnnxRuntimeRunner } from "./onnxruntime.ts";
import { PolychipRunner } from "./polychip.ts";
import { PyTorchRunner } from "./pytorch.ts";
import { nodeTfjsPlatform } from "./tfjs-node-platform.ts";
import { TfjsRunner } from "./tfjs.ts";
import type { Runner } from "./types.ts";

/** Every cpu runner, in table order (see runner-order.ts). */
export const CPU_RUNNER_IDS = ["polychip", "polychip-compiled", "polychip-replay", "tfjs-cpu", "tfjs-wasm", "ort-web", "ort-node", "pytorch"] as const;

export function createRunner(id: string): Runner {
  switch (id) {
    case "polychip":
      return new PolychipRunner("cpu");
    case "polychip-compiled":
      return new PolychipRunner("cpu", undefined, true);
    case "polychip-replay":
      return new PolychipRunner("cpu", undefined, "replay");
    case "tfjs-cpu":
      return new TfjsRunner("cpu", nodeTfjsPlatform);
    case "tfjs-wasm":
      return new TfjsRunner("wasm", nodeTfjsPlatform);
    case "ort-web":
      return new OnnxRuntimeRunner("web", () => import("onnxruntime-web"));
    case "ort-node":
      return new OnnxRuntimeRunner("node", () => import("onnxruntime-node"));
    case "pytorch":
      return new PyTorchRunner();
    default:
      throw new Error(`unknown runner '${id}': choose from ${CPU_RUNNER_IDS.join(", ")}`);
  }
}

/** `--peers` filter: comma-separated runner ids; Polychip (op by op and compiled) is always included. */
export function selectRunnerIds(peers: string | undefined): string[] {
  if (!peers) return [...CPU_RUNNER_IDS];
  const wanted = new Set([
    "polychip",
    "polychip-compiled",
    ...peers
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ]);
  for (const id of wanted) createRunner(id);
  return CPU_RUNNER_IDS.filter((id) => wanted.has(id));
}
