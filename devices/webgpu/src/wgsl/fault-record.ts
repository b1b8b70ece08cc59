import { FAULT_RECORD_WORDS } from "../runtime/kernel-faults.ts";

/**
 * WGSL for a kernel that can fault (runtime/kernel-faults.ts): the device's fault record at
 * `binding` and `fn fault(a: i32, b: i32)`, which records the first fault of all dispatches since
 * the last check under `code` (a WGSL u32 expression, normally a parameter, so one pipeline serves
 * every code). Word 0 is a claim flag: exactly one invocation sees it 0 in its atomicOr (no
 * compare-exchange loop, which SwiftShader runs slowly even when no fault happens), and only that
 * one writes the code and values. The caller still has to go on with a safe value (a clamped index).
 */
export function faultRecordWgsl(binding: number, code: string): string {
  return [
    `@group(0) @binding(${binding}) var<storage, read_write> faults: array<atomic<u32>, ${FAULT_RECORD_WORDS}>;`,
    "fn fault(a: i32, b: i32) {",
    "  if (atomicOr(&faults[0], 1u) == 0u) {",
    `    atomicStore(&faults[1], ${code}); atomicStore(&faults[2], bitcast<u32>(a)); atomicStore(&faults[3], bitcast<u32>(b));`,
    "  }",
    "}",
  ].join("\n");
}
