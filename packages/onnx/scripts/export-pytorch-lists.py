"""Writes fixtures/pytorch/lists.onnx: a torch.jit.script module that works on Python lists, exported
with torch.onnx.export as a model author would (opset 13, dynamic row count). The exporter turns
torch.split into SplitToSequence, the list built by a for loop into a Loop carrying a sequence
(SequenceEmpty, SequenceAt, SequenceInsert, SequenceLength), torch.cat of the list into
ConcatFromSequence, and returns the list itself as a sequence output. src/sequence-exports.test.ts
checks Polychip against onnxruntime-node on it at several row counts.

Weights are random (seeded). Run with /usr/bin/python3 (torch 1.13) from packages/onnx:
python3 scripts/export-pytorch-lists.py
"""
from typing import List

import torch
import torch.nn as nn

torch.manual_seed(0)


class Lists(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        parts = torch.split(x, 2, dim=0)
        outs: List[torch.Tensor] = []
        for p in parts:
            outs.append(torch.relu(self.linear(p)) * p.sum())
        total = torch.zeros_like(outs[0][0])
        for i in range(len(outs)):
            total = total + outs[i].sum(0)
        return torch.cat(outs, 0), total, outs


torch.onnx.export(
    torch.jit.script(Lists()),
    (torch.randn(5, 4),),
    "fixtures/pytorch/lists.onnx",
    opset_version=13,
    input_names=["x"],
    output_names=["y", "total", "parts"],
    dynamic_axes={"x": {0: "n"}},
)
print("wrote fixtures/pytorch/lists.onnx")
