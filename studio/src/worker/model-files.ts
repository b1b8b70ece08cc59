/**
 * Running a model file dropped on the page (.onnx or the portable .pcm) in the worker: parsed by
 * the ONNX importer or the runtime, run by the lean runtime on the chosen device. Image models
 * get the first test images of the embedded Fashion-MNIST subset; when this worker still holds
 * the trained model, its predictions on the same images are compared.
 */
import { setDefaultDevice, tensor, noGrad, tidy, type Tensor } from "@polychip/engine";
import { assembleFashionMnist, batchShape, batches, fetchFashionMnistFiles, gunzipWithStream } from "@polychip/datasets/browser";
import type { Availability, DroppedFile, GraphView, ModelRunResult } from "./protocol.ts";
import { ensureDevice } from "./devices.ts";
import { optionalFunction, toGraphView, type IrGraph } from "./model-features.ts";
import type { RegisteredModel } from "../user-api/run-context.ts";

const SAMPLES = 16;

async function testImages(fashionMnistUrl: string): Promise<{ x: Float32Array; y: Int32Array }> {
  const { test } = await assembleFashionMnist(await fetchFashionMnistFiles(fashionMnistUrl), gunzipWithStream);
  const first = batches(test, { batchSize: SAMPLES, standardize: true }).next().value!;
  return { x: first.x, y: first.y };
}

function argmaxRows(data: ArrayLike<number>, rows: number): number[] {
  const cols = data.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c]! > data[r * cols + best]!) best = c;
    return best;
  });
}

/** Parses a model file with the ONNX importer (.onnx) or the runtime (.pcm). */
async function parseModelFile(file: DroppedFile): Promise<Availability<IrGraph>> {
  const isOnnx = file.name.toLowerCase().endsWith(".onnx");
  const parse = isOnnx ? await optionalFunction("onnx", "importOnnx") : await optionalFunction("runtime", "parseModel");
  if (!parse.ok) return parse;
  try {
    return { ok: true, value: parse.value(file.bytes) as IrGraph };
  } catch (err) {
    return { ok: false, reason: namingFile(file, err) };
  }
}

/** An error's message, naming the file once (importers often name it themselves). */
function namingFile(file: DroppedFile, err: unknown): string {
  const message = (err as Error).message;
  return message.includes(file.name) ? message : `${file.name}: ${message}`;
}

/** A model file's graph for the viewer, named after the file. */
export async function viewModelFile(file: DroppedFile): Promise<Availability<GraphView>> {
  const graph = await parseModelFile(file);
  if (!graph.ok) return graph;
  try {
    return { ok: true, value: await toGraphView({ graph: { ...graph.value, name: file.name } }) };
  } catch (err) {
    return { ok: false, reason: namingFile(file, err) };
  }
}

export async function runModelFile(
  file: DroppedFile,
  device: string,
  fashionMnistUrl: string,
  trained: RegisteredModel | undefined,
): Promise<Availability<ModelRunResult>> {
  const parsed = await parseModelFile(file);
  if (!parsed.ok) return parsed;
  const createSession = await optionalFunction("runtime", "createSession");
  if (!createSession.ok) return createSession;
  try {
    await ensureDevice(device);
    setDefaultDevice(device);
    const graph = parsed.value;
    const input = graph.inputs[0];
    if (!input) return { ok: false, reason: `${file.name}: the graph has no inputs` };
    const rest = input.shape.slice(1).map(Number);
    const isImage = rest.length === 3 && rest.join() === "1,28,28";
    const isFlat = rest.length === 1 && rest[0] === 784;
    let data: Float32Array;
    let labels: Int32Array | undefined;
    let shape: number[];
    if (isImage || isFlat) {
      const imgs = await testImages(fashionMnistUrl);
      data = imgs.x;
      labels = imgs.y;
      shape = batchShape(SAMPLES, isImage ? "image" : "flat");
    } else {
      shape = input.shape.map((d) => (typeof d === "number" ? d : 1));
      data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    }
    const session = (await createSession.value(graph, { device })) as {
      run(i: Record<string, unknown>): Promise<Record<string, { data: ArrayLike<number>; shape: number[] }>>;
      dispose?(): void;
    };
    const outputs = await session.run({ [input.name]: { data, shape, dtype: "float32" } });
    session.dispose?.();
    const list = Object.entries(outputs).map(([name, o]) => ({ name, shape: [...o.shape], values: Array.from(o.data) }));
    const summary = [
      `${file.name}: ${graph.nodes.length} nodes, ran on ${device} with ${isImage || isFlat ? `${SAMPLES} Fashion-MNIST test images` : `zeros of shape [${shape.join(", ")}]`}`,
    ];
    const first = list[0];
    let predictions: number[] | undefined;
    let reference: { predictions: number[]; maxAbsDiff: number } | undefined;
    if (first && labels && first.shape.length === 2 && first.shape[0] === SAMPLES) {
      predictions = argmaxRows(first.values, SAMPLES);
      const hits = predictions.filter((p, i) => p === labels![i]).length;
      summary.push(`predictions: ${predictions.join(" ")} (${hits}/${SAMPLES} correct)`);
      const mod = trained?.module as { forward?: (x: Tensor) => Tensor; training?: boolean } | undefined;
      if (mod?.forward && trained?.exampleInputs[0] && (trained.exampleInputs[0] as Tensor).shape.slice(1).join() === shape.slice(1).join()) {
        const out = noGrad(() => tidy(() => mod.forward!(tensor(data, { shape }))));
        const ref = Array.from(await out.data());
        out.dispose();
        const refPred = argmaxRows(ref, SAMPLES);
        const maxAbsDiff = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - first.values[i]!)), 0);
        reference = { predictions: refPred, maxAbsDiff };
        const agree = refPred.filter((p, i) => p === predictions![i]).length;
        summary.push(`the trained model in this session agrees on ${agree}/${SAMPLES} predictions, max |Δ| = ${maxAbsDiff.toExponential(2)}`);
      }
    }
    return { ok: true, value: { summary: summary.join("\n"), outputs: list, predictions, labels: labels ? Array.from(labels) : undefined, reference } };
  } catch (err) {
    return { ok: false, reason: namingFile(file, err) };
  }
}
