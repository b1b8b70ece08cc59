"""Writes fixtures/pytorch/shape-values.onnx: a module whose shapes flow through the patterns
torch.onnx.export writes for shape arithmetic, exported with dynamic axes (batch, seq, width), for
src/import/shape-values-pytorch.test.ts, which checks that a plain importOnnx (no input shapes)
gives symbolic output shapes, and the outputs against onnxruntime-node at two sizes:

- x.expand(-1, ...): Where(Equal(shape, -1), ones, shape) around ConstantOfShape of a Shape;
- x.new_zeros(x.shape): ConstantOfShape(Shape(x));
- x[:, : x.shape[1] - 1]: a Slice end computed by Sub of a shape entry and 1;
- x.view(x.shape[0], -1, x.shape[2] // 2): integer Div of a shape entry, Unsqueeze and Concat;
- y[:, : y.shape[1] // 2] of a y whose last dim is static: a Slice end the import folds to a number.

Run with /usr/bin/python3 (torch 1.13) from packages/onnx: python3 scripts/export-pytorch-shape-values.py
"""
import torch
import torch.nn as nn


class ShapeValues(nn.Module):
    def forward(self, x, token, y):
        expanded = token.expand(x.shape[0], -1, -1) * 2
        zeros = x.new_zeros(x.shape) + x
        head = x[:, : x.shape[1] - 1]
        halves = x.view(x.shape[0], -1, x.shape[2] // 2)
        first = y[:, : y.shape[1] // 2]
        return expanded, zeros, head, halves, first


x = torch.randn(2, 3, 4)
token = torch.randn(1, 1, 4)
y = torch.randn(2, 6)
torch.onnx.export(
    ShapeValues(),
    (x, token, y),
    "fixtures/pytorch/shape-values.onnx",
    opset_version=13,
    input_names=["x", "token", "y"],
    output_names=["expanded", "zeros", "head", "halves", "first"],
    dynamic_axes={"x": {0: "batch", 1: "seq", 2: "width"}, "y": {0: "batch"}},
)
