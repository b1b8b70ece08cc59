"""Writes fixtures/pytorch/ops-*.onnx: ordinary PyTorch code exported with torch.onnx.export (dynamic
axes, the exporter's default lowering), reaching for the tensor functions scripts/export-pytorch-models.py
leaves out; src/pytorch-exports.test.ts checks Polychip against onnxruntime-node at two input sizes.

- ops-sorting.onnx (opset 11): sort descending, argsort, logsumexp, var_mean, a 2-norm, std, cdist.
- ops-dynamic.onnx (opset 11): nonzero, masked_select, unique of rounded values (sizes from the data).
- ops-padding.onnx (opset 11): reflect and replicate padding, bicubic and nearest upsampling, bilinear
  with align_corners to a fixed size, InstanceNorm2d → PReLU → LocalResponseNorm, unfold (im2col).
- ops-integers.onnx (opset 14): floor and trunc division and remainder of int64 with negative operands,
  clamp to a tensor's max, rsqrt made finite with nan_to_num, erf.
- ops-indexing.onnx (opset 14): advanced indexing by an index tensor, gather, index_select, a masked
  assignment, scatter_add, flip, roll.
- ops-grid-sample.onnx (opset 16): grid_sample bilinear/zeros and nearest/border, grids past the edges.
- ops-transformer.onnx (opset 17): nn.Transformer (encoder and decoder) under a causal target mask.

Weights are random (seeded). Run with /usr/bin/python3 (torch 1.13) from packages/onnx:
python3 scripts/export-pytorch-ops.py
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
OUT = "fixtures/pytorch"


class Sorting(nn.Module):
    def forward(self, x):
        values, order = torch.sort(x, dim=-1, descending=True)
        variance, mean = torch.var_mean(x, dim=1, unbiased=True)
        return values, order, torch.argsort(x, dim=0), x.logsumexp(-1), variance, mean, torch.norm(x, p=2, dim=-1), x.std(0), torch.cdist(x, x)


class Dynamic(nn.Module):
    def forward(self, x):
        return torch.nonzero(x > 0), torch.masked_select(x, x > 0), torch.unique(torch.round(x * 2), sorted=True)


class Padding(nn.Module):
    def __init__(self):
        super().__init__()
        self.instance_norm = nn.InstanceNorm2d(3, affine=True)
        self.prelu = nn.PReLU(3)
        self.lrn = nn.LocalResponseNorm(3)

    def forward(self, x):
        return (
            F.pad(x, (1, 2, 2, 1), mode="reflect"),
            F.pad(x, (2, 2, 1, 1), mode="replicate"),
            F.interpolate(x, scale_factor=2.0, mode="bicubic", align_corners=False),
            F.interpolate(x, scale_factor=2.0, mode="nearest"),
            F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True),
            self.lrn(self.prelu(self.instance_norm(x))),
            F.unfold(x, 2, stride=2),
        )


class Integers(nn.Module):
    def forward(self, a, b):
        ratio = a.float() / b.float()
        return (
            torch.div(a, b, rounding_mode="floor"),
            torch.div(a, b, rounding_mode="trunc"),
            torch.remainder(a, b),
            a * 2 - b,
            torch.clamp(a.float(), min=-2.0, max=b.float().max()),
            ratio.rsqrt().nan_to_num(0.0),
            torch.erf(a.float() / 10),
        )


class Indexing(nn.Module):
    def forward(self, x, index):
        masked = x.clone()
        masked[x > 0.5] = 0.0
        columns = index.unsqueeze(1).expand(-1, x.shape[1]) % x.shape[1]
        return (
            x[index],
            torch.gather(x, 1, columns),
            x.index_select(0, index),
            masked,
            torch.zeros(index.shape[0], x.shape[1]).scatter_add(1, columns, x[index]),
            torch.flip(x, [1]),
            torch.roll(x, 1, 0),
        )


class GridSample(nn.Module):
    def forward(self, x, grid):
        return (
            F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False),
            F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=True),
        )


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(16, 2, 1, 1, 32, dropout=0.0, batch_first=True)

    def forward(self, source, target):
        length = target.shape[1]
        causal = torch.triu(torch.full((length, length), float("-inf")), 1)
        return self.transformer(source, target, tgt_mask=causal)


def export(module, args, name, inputs, outputs, dynamic, opset):
    torch.onnx.export(module.eval(), args, f"{OUT}/ops-{name}.onnx", input_names=inputs, output_names=outputs,
                      dynamic_axes=dynamic, opset_version=opset)


export(Sorting(), (torch.randn(4, 6),), "sorting", ["x"], ["values", "order", "argsort", "logsumexp", "variance", "mean", "norm", "std", "cdist"],
       {"x": {0: "n", 1: "m"}}, 11)
export(Dynamic(), (torch.randn(3, 4),), "dynamic", ["x"], ["nonzero", "selected", "unique"], {"x": {0: "n", 1: "m"}}, 11)
export(Padding(), (torch.randn(1, 3, 6, 5),), "padding", ["x"], ["reflect", "replicate", "bicubic", "nearest", "bilinear", "normed", "unfold"],
       {"x": {0: "batch", 2: "height", 3: "width"}}, 11)
export(Integers(), (torch.tensor([7, -7, 5, 0, -3]), torch.tensor([2, 2, -3, 4, 5])), "integers", ["a", "b"],
       ["floor", "trunc", "remainder", "linear", "clamped", "rsqrt", "erf"], {"a": {0: "n"}, "b": {0: "n"}}, 14)
export(Indexing(), (torch.rand(5, 3), torch.tensor([4, 0, 2])), "indexing", ["x", "index"],
       ["indexed", "gathered", "selected", "masked", "scattered", "flipped", "rolled"], {"x": {0: "n"}, "index": {0: "k"}}, 14)
export(GridSample(), (torch.randn(1, 2, 5, 6), torch.rand(1, 3, 4, 2) * 2.4 - 1.2), "grid-sample", ["x", "grid"], ["bilinear", "nearest"],
       {"x": {0: "batch", 2: "height", 3: "width"}, "grid": {0: "batch", 1: "rows", 2: "columns"}}, 16)
export(Transformer(), (torch.randn(2, 5, 16), torch.randn(2, 3, 16)), "transformer", ["source", "target"], ["y"],
       {"source": {0: "batch", 1: "source_length"}, "target": {0: "batch", 1: "target_length"}}, 17)
