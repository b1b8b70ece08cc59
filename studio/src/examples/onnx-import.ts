// Import an ONNX model and run it. Drop a .onnx file on the page to run your own model;
// otherwise this example builds a small MLP, exports it to ONNX, imports the file back and checks
// that the imported graph gives the same outputs on the device picked in the studio.
import { nn, tensor, loadOptional, droppedFile, setModel, studioDevice } from "polychip";

const { trace } = await loadOptional("graph"); // each throws FeatureUnavailableError (with the reason) when its package is missing
const { createSession } = await loadOptional("runtime");
const { exportOnnx, importOnnx } = await loadOptional("onnx");

let bytes: Uint8Array;
let reference: Float32Array | undefined;
const input = tensor(
  Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i) * 0.5),
  { shape: [2, 784] },
);
const dropped = droppedFile(".onnx");
if (dropped) {
  console.log(`running the dropped model ${dropped.name} (${dropped.bytes.byteLength} bytes)`);
  bytes = dropped.bytes;
} else {
  const model = new nn.Sequential(new nn.Linear(784, 32), new nn.ReLU(), new nn.Linear(32, 10));
  model.eval();
  reference = (await model.forward(input).data()) as Float32Array;
  bytes = exportOnnx(await trace(model, [input], { dynamicBatch: true }));
  console.log(`exported a 784 → 32 → 10 MLP to ONNX: ${bytes.byteLength} bytes`);
  setModel(model, input);
}

const graph = importOnnx(bytes);
const first = graph.inputs[0];
console.log(`imported '${graph.name}': ${graph.nodes.length} nodes (${[...new Set(graph.nodes.map((n: { op: string }) => n.op))].join(", ")})`);
const shape: number[] = reference ? input.shape : first.shape.map((d: number | string) => (typeof d === "number" ? d : 1));
const data = reference ? await input.data() : new Float32Array(shape.reduce((a, b) => a * b, 1));
const session = await createSession(graph, { device: studioDevice() });
const outputs = await session.run({ [first.name]: { data, shape } });
const [name, out] = Object.entries(outputs)[0] as [string, { data: Float32Array; shape: number[] }];
console.log(
  `${name} [${out.shape.join(", ")}] on ${studioDevice()}:`,
  Array.from(out.data.slice(0, 5))
    .map((v) => v.toFixed(4))
    .join(", "),
  "…",
);
if (reference) {
  const maxDiff = out.data.reduce((m, v, i) => Math.max(m, Math.abs(v - reference![i]!)), 0);
  console.log(`max |imported − original| = ${maxDiff.toExponential(2)}`);
}
