/**
 * The second parity round's golden cases (ops-parity2-*.json) on the npu-sim plugin: forward values
 * and gradients against torch, as on cpu and webgpu. The older fixture files are not run here;
 * these cases check that the compositions need nothing a device plugin lacks.
 */
import { after, before } from "node:test";
import "../testing/first-party-devices.ts";
import { removeDevice, useDevice } from "../index.ts";
import { OP_FIXTURE_FILES } from "./fixtures.ts";
import { describeOpCases } from "./op-cases.ts";

before(async () => {
  await useDevice("npu-sim");
});
after(() => removeDevice("npu-sim"));

describeOpCases({ device: "npu-sim", files: OP_FIXTURE_FILES.filter((f) => f.startsWith("ops-parity2-")) });
