"""Writes fixtures/pytorch/video-cnn.onnx and video-cnn-outputs.json for src/pytorch-conv3d.test.ts:
a small 3-D CNN of the kind video and volume models use, exported by torch.onnx.export with a
dynamic batch axis, and PyTorch's own outputs for two batch sizes.

The network: Conv3d (stride (1, 2, 2), padding 1) + BatchNorm3d + ReLU, a grouped Conv3d
(groups 2, stride 2, dilation (1, 2, 2)) + BatchNorm3d + ReLU (the exporter folds both batch
norms into their convs), MaxPool3d(2) + BatchNorm3d (kept as BatchNormalization), a depthwise
(3, 1, 1) Conv3d + ReLU, AdaptiveAvgPool3d(1), Linear. Weights and batch-norm statistics are
random (seeded): the fixture checks the importer on PyTorch's export, not a trained model.

Inputs are not stored: both sides build them from the same integer LCG (lcg_values below), so
the test regenerates them exactly. Run from packages/onnx with /usr/bin/python3 (torch 1.13):
python3 scripts/export-conv3d-model.py
"""
import json

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
OUT = "fixtures/pytorch"
INPUT_SHAPE = (3, 8, 16, 16)
BATCHES = (1, 3)


class VideoCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, 8, 3, stride=(1, 2, 2), padding=1), nn.BatchNorm3d(8), nn.ReLU())
        self.grouped = nn.Sequential(
            nn.Conv3d(8, 16, 3, stride=2, padding=(1, 2, 2), dilation=(1, 2, 2), groups=2, bias=False), nn.BatchNorm3d(16), nn.ReLU()
        )
        # After the pool, so the exporter cannot fold it into a conv as it does the two above.
        self.pool = nn.Sequential(nn.MaxPool3d(2), nn.BatchNorm3d(16))
        self.temporal = nn.Sequential(nn.Conv3d(16, 16, (3, 1, 1), padding=(1, 0, 0), groups=16), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(16, 5))

    def forward(self, x):
        features = self.temporal(self.pool(self.grouped(self.stem(x))))
        return self.head(features), features


def lcg_values(count, seed):
    """The test's deterministic sequence in [-1, 1): the MINSTD generator, whose products stay
    below 2^53, so JavaScript's doubles compute the same integers as Python's."""
    out = np.empty(count, dtype=np.float32)
    s = seed
    for i in range(count):
        s = s * 48271 % 2147483647
        out[i] = s / 2147483647 * 2 - 1
    return out


def main():
    model = VideoCnn()
    for bn in (model.stem[1], model.grouped[1], model.pool[1]):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.3, 0.3)
    # Large enough that the logits of different clips differ well beyond the test's tolerance.
    model.head[2].weight.data.uniform_(-4, 4)
    model.eval()
    example = torch.from_numpy(lcg_values(int(np.prod(INPUT_SHAPE)), 1)).reshape(1, *INPUT_SHAPE)
    torch.onnx.export(
        model,
        example,
        f"{OUT}/video-cnn.onnx",
        input_names=["clip"],
        output_names=["logits", "features"],
        dynamic_axes={"clip": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}},
        opset_version=17,
    )
    outputs = {}
    with torch.no_grad():
        for batch in BATCHES:
            count = batch * int(np.prod(INPUT_SHAPE))
            clip = torch.from_numpy(lcg_values(count, batch)).reshape(batch, *INPUT_SHAPE)
            logits, features = model(clip)
            outputs[str(batch)] = {
                "logits": {"shape": list(logits.shape), "data": [round(float(v), 7) for v in logits.flatten()]},
                "features": {"shape": list(features.shape), "data": [round(float(v), 7) for v in features.flatten()]},
            }
    with open(f"{OUT}/video-cnn-outputs.json", "w") as f:
        json.dump({"inputShape": list(INPUT_SHAPE), "seed": "the batch size", "outputs": outputs}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
