/**
 * @polychip/devices — the first-party devices beyond the cpu, registered to load on first use.
 * Importing this module is what makes `useDevice("webgpu")`, `useDevice("npu-sim")` and `useDevice("npu-sim-edge")` work; the
 * engine itself knows only its cpu device (and plugins it is given), so the arrow stays one way:
 * hal <- devices/plugins <- engine <- this list <- cli, studio, bench.
 */
import { registerDeviceLoader } from "@polychip/engine/runtime";

/** Literal imports, so bundlers (the studio, a browser app) see and split them. */
export const FIRST_PARTY_DEVICES = {
  webgpu: () => import("@polychip/device-webgpu"),
  "npu-sim": () => import("@polychip/npu-sim"),
  // The same simulator on the int8-only edge profile: a second device from one package.
  "npu-sim-edge": () => import("@polychip/npu-sim").then((m) => ({ default: m.npuSimEdgePlugin })),
} as const;

for (const [name, load] of Object.entries(FIRST_PARTY_DEVICES)) registerDeviceLoader(name, load as () => Promise<Record<string, unknown>>);
