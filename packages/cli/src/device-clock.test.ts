import assert from "node:assert/strict";
import { test } from "node:test";
import type { Device } from "@polychip/hal";
import { simulatedClockMs } from "./device-clock.ts";

test("a device with a simulated clock reports it; a real device reports none", () => {
  assert.equal(simulatedClockMs({ simulatedTimeMs: 12.5 } as unknown as Device), 12.5);
  assert.equal(simulatedClockMs({} as unknown as Device), undefined);
  assert.equal(simulatedClockMs({ simulatedTimeMs: Number.NaN } as unknown as Device), undefined);
});
