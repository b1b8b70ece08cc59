// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { batches, type Split } from "@polychip/datasets";
import { createSession, PolychipError, ShapeError, type Graph } from "@polychip/engine/runtime";

/** The batch size training's evaluate() uses, so deployed and trained numbers see the same batches. */
export const EVAL_BATCH = 500;

/**
 * Test-set accuracy of a deployed graph in the lean runtime: images standardised as in training,
 * fed as [N, 1, 28, 28] or [N, 784] (whichever the model's input is), argmax of the last dim.
 */
export async function evaluateGraph(graph: Graph, split: Split, device: string, batchSize = EVAL_BATCH): Promise<{ accuracy: number; correct: number }> {
  const input = graph.inputs[0];
  const output = graph.outputs[0];
  if (!input || !output || graph.inputs.length !== 1)
    throw new PolychipError(`eval: expects a model with one input, '${graph.name}' has ${graph.inputs.length}`);
  const rank = input.shape.length;
  if (rank !== 2 && rank !== 4)
    throw new ShapeError(`eval: the model's input '${input.name}' is [${input.shape.join(", ")}]; Fashion-MNIST needs [N, 784] or [N, 1, 28, 28]`);
  const fixedBatch = typeof input.shape[0] === "number" ? input.shape[0] : undefined;
  const session = await createSession(graph, { device });
  let correct = 0;
  try {
    // Planned before the batch buffer is built: a fixed batch of 1e9 is a clear error, not a RangeError.
    const rows = fixedBatch ?? Math.min(batchSize, split.count);
    session.checkTensor(`input '${input.name}'`, rank === 4 ? [rows, 1, 28, 28] : [rows, 784], "float32");
    for (const batch of batches(split, { batchSize: fixedBatch ?? batchSize, shuffle: false, dropLast: false, standardize: true })) {
      const n = batch.size;
      let x = batch.x;
      if (fixedBatch !== undefined && n < fixedBatch) {
        x = new Float32Array(fixedBatch * 784);
        x.set(batch.x);
      }
      const rows = fixedBatch ?? n;
      const shape = rank === 4 ? [rows, 1, 28, 28] : [rows, 784];
      const result = await session.run({ [input.name]: { data: x, shape, dtype: "float32" } });
      const logits = result[output.name]!;
      const classes = logits.shape[logits.shape.length - 1]!;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits.data[i * classes + c]! > logits.data[i * classes + best]!) best = c;
        if (best === batch.y[i]) correct++;
      }
    }
  } finally {
    session.dispose();
  }
  return { accuracy: correct / split.count, correct };
}
