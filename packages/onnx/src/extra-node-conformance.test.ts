import "@polychip/devices";
import { EXTRA_NODE } from "./conformance/committed-corpora.ts";
import { testCommittedCorpus } from "./testing/committed-corpus-tests.ts";

/**
 * ONNX's own backend node tests for the operators the shared corpus lacks (conformance/extra-node,
 * copied from onnx/onnx: see the README there), on cpu and on npu-sim (a plugin that falls back to
 * the cpu per op it lacks), against conformance/extra-node-<device>-expectations.json.
 */
await testCommittedCorpus(EXTRA_NODE);
