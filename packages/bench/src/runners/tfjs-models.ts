import type * as tfType from "@tensorflow/tfjs-core";
import { chwColumnsToHwc, oihwToHwio, transpose2d } from "../models/layouts.ts";
import type { CnnParams, HostTensor, MlpParams, ModelParams } from "../models/params.ts";

type Tf = typeof tfType;

export interface TfjsModel {
  readonly variables: tfType.Variable[];
  /** Logits [batch, 10] from images: NHWC [batch, 28, 28, 1] for the CNN, [batch, 784] for the MLP. */
  forward(x: tfType.Tensor): tfType.Tensor2D;
  dispose(): void;
}

/**
 * The MLP and CNN built from tfjs ops in tfjs's native layouts (NHWC images, HWIO filters,
 * [in, out] dense weights), holding the same weights as the other peers.
 */
export function buildTfjsModel(tf: Tf, params: ModelParams): TfjsModel {
  const variable = (t: HostTensor, name: string) => tf.variable(tf.tensor(t.data, [...t.shape]), true, `${name}_${Math.random().toString(36).slice(2)}`);
  if (params.kind === "mlp") return mlpModel(tf, params, variable);
  return cnnModel(tf, params, variable);
}

function mlpModel(tf: Tf, p: MlpParams, variable: (t: HostTensor, name: string) => tfType.Variable): TfjsModel {
  const w1 = variable(transpose2d(p.fc1.weight), "w1");
  const b1 = variable(p.fc1.bias, "b1");
  const w2 = variable(transpose2d(p.fc2.weight), "w2");
  const b2 = variable(p.fc2.bias, "b2");
  const variables = [w1, b1, w2, b2];
  return {
    variables,
    forward: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tfType.Tensor2D, w1), b1)), w2), b2) as tfType.Tensor2D,
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}

function cnnModel(tf: Tf, p: CnnParams, variable: (t: HostTensor, name: string) => tfType.Variable): TfjsModel {
  const k1 = variable(oihwToHwio(p.conv1.weight), "k1");
  const c1 = variable(p.conv1.bias, "c1");
  const k2 = variable(oihwToHwio(p.conv2.weight), "k2");
  const c2 = variable(p.conv2.bias, "c2");
  // NHWC flattens features as (h, w, c); reorder fc1's columns so the function matches the NCHW peers.
  const w1 = variable(transpose2d(chwColumnsToHwc(p.fc1.weight, 64, 7, 7)), "w1");
  const b1 = variable(p.fc1.bias, "b1");
  const w2 = variable(transpose2d(p.fc2.weight), "w2");
  const b2 = variable(p.fc2.bias, "b2");
  const variables = [k1, c1, k2, c2, w1, b1, w2, b2];
  const block = (x: tfType.Tensor4D, k: tfType.Variable, b: tfType.Variable): tfType.Tensor4D =>
    tf.maxPool(tf.relu(tf.add(tf.conv2d(x, k as tfType.Tensor4D, 1, "same"), b)) as tfType.Tensor4D, 2, 2, "valid");
  return {
    variables,
    forward: (x) => {
      const features = block(block(x as tfType.Tensor4D, k1, c1), k2, c2);
      const flat = tf.reshape(features, [features.shape[0], 7 * 7 * 64]) as tfType.Tensor2D;
      return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, w1), b1)), w2), b2) as tfType.Tensor2D;
    },
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}
