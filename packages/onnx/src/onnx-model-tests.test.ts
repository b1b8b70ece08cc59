import "@polychip/devices";
import { BURN_ONNX_CASES, ONNX_LIGHT_MODELS, ONNX_MODEL_TESTS, TRACT_CASES } from "./conformance/committed-corpora.ts";
import { testCommittedCorpus } from "./testing/committed-corpus-tests.ts";

/**
 * ONNX's own backend model tests (conformance/onnx-models: PyTorch-converted modules and operator
 * programs and the "simple" models, on cpu and npu-sim; conformance/onnx-light-models: the light
 * vision models, on cpu; conformance/tract-cases and conformance/burn-onnx-cases: other runtimes' test
 * models, on cpu and npu-sim; see the READMEs there), against conformance/<corpus>-<device>-expectations.json.
 */
await testCommittedCorpus(ONNX_MODEL_TESTS);
await testCommittedCorpus(ONNX_LIGHT_MODELS);
await testCommittedCorpus(TRACT_CASES);
await testCommittedCorpus(BURN_ONNX_CASES);
