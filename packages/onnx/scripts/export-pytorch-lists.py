"""Writes torch.jit.script modules that work on Python lists, exported with torch.onnx.export as a
model author would (dynamic row count), for src/sequence-exports.test.ts, which checks Polychip
against onnxruntime-node on them at several row counts:

- fixtures/pytorch/lists.onnx (opset 13): torch.split becomes SplitToSequence, the list built by a
  for loop a Loop carrying a sequence (SequenceEmpty, SequenceAt, SequenceInsert, SequenceLength),
  torch.cat of the list ConcatFromSequence, and the list itself a sequence output.
- fixtures/pytorch/list-filter.onnx (opset 15): x.unbind(0) (SplitToSequence with keepdims=0), a
  loop appending only the rows whose sum is positive (an If on data inside the Loop, whose else
  branch passes the sequence through Identity), then torch.stack (ConcatFromSequence, new_axis=1):
  the list's length depends on the data.

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


def export(module, rows_by_width, path, opset, outputs):
    """Scripts the module and exports it with a dynamic row count."""
    torch.onnx.export(
        torch.jit.script(module),
        (torch.randn(*rows_by_width),),
        path,
        opset_version=opset,
        input_names=["x"],
        output_names=outputs,
        dynamic_axes={"x": {0: "n"}},
    )
    print(f"wrote {path}")


export(Lists(), (5, 4), "fixtures/pytorch/lists.onnx", 13, ["y", "total", "parts"])


class ListFilter(nn.Module):
    def forward(self, x):
        kept: List[torch.Tensor] = []
        for r in x.unbind(0):
            if bool(r.sum() > 0):
                kept.append(r * 2)
        kept.append(x.sum(0))
        return torch.stack(kept, 0)


# Identity on a sequence (the If's else branch) needs opset 14 or later.
export(ListFilter(), (5, 3), "fixtures/pytorch/list-filter.onnx", 15, ["y"])
