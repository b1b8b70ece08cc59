import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { test } from "node:test";
import "@polychip/devices";
import { DEFAULT_TOLERANCE } from "./conformance/compare.ts";
import { dataSets, readBytes, tensorFiles } from "./conformance/discover.ts";
import { EXTRA_NODE } from "./conformance/committed-corpora.ts";
import { compareValue, hostValue, readTestValue } from "./conformance/values.ts";
import { containerKind } from "./containers.ts";
import { decodeModel } from "./proto/codec.ts";
import type { ValueInfoProto } from "./proto/types.ts";
import { OnnxSession } from "./session.ts";

/**
 * ONNX's node tests with sequence or optional inputs or outputs (conformance/extra-node) through
 * OnnxSession as an application calls it: each sequence fed as an array of tensors, an absent
 * optional as null, and runValues' results compared element by element with the expected values.
 * The conformance runner checks the same tests through importModelProto; this checks the
 * session's own handling (flattening feeds, plans per length and presence, reassembling outputs).
 */
const typed = (values: readonly ValueInfoProto[] | undefined) => (values ?? []).some((v) => containerKind(v.type));

let found = 0;
for (const dir of EXTRA_NODE.tests()) {
  const bytes = new Uint8Array(await readFile(`${dir}/model.onnx`));
  const graph = decodeModel(bytes).graph!;
  if (!typed(graph.input) && !typed(graph.output)) continue;
  found++;
  test(`${basename(dir)} runs through OnnxSession.runValues`, async () => {
    const session = await OnnxSession.create(bytes, { device: "cpu" });
    try {
      for (const set of await dataSets(dir)) {
        const inputs = await tensorFiles(set, "input");
        const feeds = Object.fromEntries(
          await Promise.all(
            inputs.map(async (f, i) => {
              const v = graph.input![i]!;
              return [v.name!, hostValue(readTestValue(await readBytes(f), v.type, f), f)] as const;
            }),
          ),
        );
        const got = await session.runValues(feeds);
        for (const [i, f] of (await tensorFiles(set, "output")).entries()) {
          const out = graph.output![i]!;
          const cmp = compareValue(got[out.name!], readTestValue(await readBytes(f), out.type, f), DEFAULT_TOLERANCE, out.name!);
          assert.ok(cmp.ok, `${basename(dir)}: ${cmp.reason}`);
        }
      }
    } finally {
      session.dispose();
    }
  });
}

test("the node tests with sequence or optional inputs or outputs are present", () => {
  assert.ok(found >= 29, `only ${found} found`);
});
