#!/usr/bin/env python3
"""PyTorch golden values for the second round of PyTorch-parity ops and layers.

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 engine/scripts/generate_parity_golden.py

Same case format and helpers as generate_golden.py (inputs, float64 forward outputs, a random
weight per output and the gradients of sum(out * weight)); its own files, so the older fixtures
keep their values: engine/fixtures/golden/ops-parity2-*.json. RMSNorm is written out from torch
2.4's definition (torch 1.13 has no rms_norm).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_golden as g  # noqa: E402
from generate_golden import In, away_from_zero, distinct, make_case, module_case, uniform, DECODER_PARAMS  # noqa: E402

g.rng = np.random.default_rng(20261207)

# Kinks, edges and magnitudes where a softplus-like form would overflow.
EDGES = np.array([[-100.0, -30.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.25],
                  [0.5, 1.0, 2.9, 3.0, 6.0, 6.5, 30.0, 100.0]])


def activation_cases():
    cases = []
    acts = {
        "leakyRelu": (lambda x: F.leaky_relu(x, 0.2), {"negativeSlope": 0.2}),
        "silu": (F.silu, {}),
        "elu": (lambda x: F.elu(x, 0.7), {"alpha": 0.7}),
        "selu": (F.selu, {}),
        "celu": (lambda x: F.celu(x, 0.5), {"alpha": 0.5}),
        "hardswish": (F.hardswish, {}),
        "hardsigmoid": (F.hardsigmoid, {}),
        "mish": (F.mish, {}),
        "relu6": (F.relu6, {}),
        "hardtanh": (lambda x: F.hardtanh(x, -2.0, 1.5), {"minVal": -2.0, "maxVal": 1.5}),
        "logSigmoid": (F.logsigmoid, {}),
        "softsign": (F.softsign, {}),
    }
    for op, (fn, attrs) in acts.items():
        cases.append(make_case(f"{op}/edges", op, [In(EDGES)], fn, attrs=attrs))
        cases.append(make_case(f"{op}/2x3x5", op, [In(uniform((2, 3, 5), -5, 5))], fn, attrs=attrs))
    hardtanh_bounds = np.array([[-2.0, -1.0, 0.0, 1.5, 2.0]])
    cases.append(make_case("hardtanh/at_bounds", "hardtanh", [In(hardtanh_bounds)], lambda x: F.hardtanh(x, -2.0, 1.5),
                           attrs={"minVal": -2.0, "maxVal": 1.5}, note="torch passes no gradient at the bounds themselves"))
    cases.append(make_case("softmin/dim1", "softmin", [In(uniform((3, 5)))], lambda x: F.softmin(x, 1), attrs={"dim": 1}))
    cases.append(make_case("softmin/dim0", "softmin", [In(uniform((3, 5)))], lambda x: F.softmin(x, 0), attrs={"dim": 0}))
    cases.append(make_case("glu/last", "glu", [In(uniform((3, 6)))], lambda x: F.glu(x, -1), attrs={"dim": -1}))
    cases.append(make_case("glu/dim1", "glu", [In(uniform((2, 4, 3)))], lambda x: F.glu(x, 1), attrs={"dim": 1}))
    cases.append(make_case("prelu/per_channel", "prelu", [In(away_from_zero((2, 3, 2, 2))), In(uniform((3,), 0.0, 0.5))], F.prelu))
    cases.append(make_case("prelu/one_slope", "prelu", [In(away_from_zero((4, 5))), In(np.array([0.25]))], F.prelu))
    cases.append(make_case("prelu/at_zero_1d", "prelu", [In(np.array([-1.0, 0.0, 2.0])), In(np.array([0.3]))], F.prelu))
    return cases


def pooling_cases():
    cases = []
    for label, shape, size in (("non_divisible", (2, 3, 5, 7), (3, 4)), ("divisible", (2, 3, 6, 8), (3, 4)), ("global", (2, 3, 5, 7), (1, 1)),
                               ("larger_than_input", (1, 2, 2, 5), (3, 7)), ("unbatched", (3, 5, 7), (2, 3)), ("keep_height", (2, 2, 5, 6), (None, 4))):
        cases.append(make_case(f"adaptiveAvgPool2d/{label}", "adaptiveAvgPool2d", [In(uniform(shape))], lambda x, s=size: F.adaptive_avg_pool2d(x, s),
                               attrs={"size": list(size)}))
        cases.append(make_case(f"adaptiveMaxPool2d/{label}", "adaptiveMaxPool2d", [In(distinct(shape))], lambda x, s=size: F.adaptive_max_pool2d(x, s),
                               attrs={"size": list(size)}))
    for label, shape, size in (("non_divisible", (2, 3, 10), 4), ("divisible", (2, 3, 9), 3), ("global", (2, 3, 7), 1), ("larger_than_input", (3, 5), 8)):
        cases.append(make_case(f"adaptiveAvgPool1d/{label}", "adaptiveAvgPool1d", [In(uniform(shape))], lambda x, s=size: F.adaptive_avg_pool1d(x, s),
                               attrs={"size": size}))
    cases.append(make_case("adaptiveMaxPool1d/non_divisible", "adaptiveMaxPool1d", [In(distinct((2, 3, 10)))], lambda x: F.adaptive_max_pool1d(x, 4),
                           attrs={"size": 4}))
    pool1d = (("k3_s2_p1", dict(kernel_size=3, stride=2, padding=1)), ("k2", dict(kernel_size=2)), ("k3_ceil", dict(kernel_size=3, stride=2, ceil_mode=True)))
    for label, kw in pool1d:
        attrs = {"kernel": kw["kernel_size"], "stride": kw.get("stride"), "padding": kw.get("padding", 0), "ceilMode": kw.get("ceil_mode", False)}
        cases.append(make_case(f"avgPool1d/{label}", "avgPool1d", [In(uniform((2, 3, 8)))], lambda x, kw=kw: F.avg_pool1d(x, **kw), attrs=attrs))
        cases.append(make_case(f"maxPool1d/{label}", "maxPool1d", [In(distinct((2, 3, 8)))], lambda x, kw=kw: F.max_pool1d(x, **kw), attrs=attrs))
    cases.append(make_case("avgPool1d/exclude_pad_unbatched", "avgPool1d", [In(uniform((3, 7)))],
                           lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
                           attrs={"kernel": 3, "stride": 2, "padding": 1, "ceilMode": False, "countIncludePad": False}))
    cases.append(make_case("pixelShuffle/r2", "pixelShuffle", [In(uniform((2, 8, 3, 3)))], lambda x: F.pixel_shuffle(x, 2), attrs={"factor": 2}))
    cases.append(make_case("pixelShuffle/r3_3d", "pixelShuffle", [In(uniform((9, 2, 2)))], lambda x: F.pixel_shuffle(x, 3), attrs={"factor": 3}))
    cases.append(make_case("pixelUnshuffle/r2", "pixelUnshuffle", [In(uniform((2, 2, 6, 4)))], lambda x: F.pixel_unshuffle(x, 2), attrs={"factor": 2}))
    for mode in ("reflect", "replicate", "constant"):
        cases.append(make_case(f"padTrailing/{mode}_2d", "padTrailing", [In(uniform((2, 3, 4, 5)))],
                               lambda x, m=mode: F.pad(x, (2, 1, 1, 3), mode=m, value=0.5) if m == "constant" else F.pad(x, (2, 1, 1, 3), mode=m),
                               attrs={"pads": [2, 1, 1, 3], "mode": mode, "value": 0.5}))
    cases.append(make_case("padTrailing/reflect_1d", "padTrailing", [In(uniform((2, 3, 5)))], lambda x: F.pad(x, (4, 2), mode="reflect"),
                           attrs={"pads": [4, 2], "mode": "reflect", "value": 0}))
    return cases


def tensor_op_cases():
    cases = []
    x = uniform((3, 5))
    for c in (0, 1, 2):
        cases.append(make_case(f"std/dim1_correction{c}", "std", [In(x)], lambda t, c=c: torch.std(t, 1, correction=c), attrs={"dims": 1, "correction": c}))
    cases.append(make_case("std/all_unbiased", "std", [In(uniform((2, 3, 4)))], lambda t: torch.std(t), attrs={"dims": None, "correction": 1}))
    cases.append(make_case("std/dims02_keep_population", "std", [In(uniform((2, 3, 4)))], lambda t: torch.std(t, (0, 2), unbiased=False, keepdim=True),
                           attrs={"dims": [0, 2], "correction": 0, "keepDims": True}))
    cases.append(make_case("amax/dim1", "amax", [In(distinct((3, 5)))], lambda t: torch.amax(t, 1), attrs={"dims": 1}))
    cases.append(make_case("amin/dims01_keep", "amin", [In(distinct((2, 3, 4)))], lambda t: torch.amin(t, (0, 1), keepdim=True),
                           attrs={"dims": [0, 1], "keepDims": True}))
    ties = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 0.5]])
    cases.append(make_case("amax/ties_share", "amax", [In(ties)], lambda t: torch.amax(t, 1), attrs={"dims": 1},
                           note="torch splits the gradient evenly between tied maxima"))
    cases.append(make_case("chunk/uneven", "chunk", [In(uniform((7, 3)))], lambda t: torch.chunk(t, 3, 0), attrs={"chunks": 3, "dim": 0}))
    cases.append(make_case("chunk/dim1", "chunk", [In(uniform((2, 6)))], lambda t: torch.chunk(t, 4, 1), attrs={"chunks": 4, "dim": 1}))
    cases.append(make_case("unflatten/infer", "unflatten", [In(uniform((2, 12)))], lambda t: t.unflatten(1, (3, -1)), attrs={"dim": 1, "sizes": [3, -1]}))
    cases.append(make_case("outer/4x3", "outer", [In(uniform((4,))), In(uniform((3,)))], torch.outer))
    with_zero = uniform((3, 4))
    with_zero[1] = 0.0
    cases.append(make_case("normalize/p2_zero_row", "normalize", [In(with_zero)], lambda t: F.normalize(t), attrs={"p": 2, "dim": 1},
                           note="a zero row stays 0; its gradient is g / eps, as torch"))
    cases.append(make_case("normalize/p1_last", "normalize", [In(away_from_zero((2, 3, 4)))], lambda t: F.normalize(t, 1, -1), attrs={"p": 1, "dim": -1}))
    cases.append(make_case("normalize/p3_dim0", "normalize", [In(away_from_zero((3, 4)))], lambda t: F.normalize(t, 3, 0), attrs={"p": 3, "dim": 0}))
    cases.append(make_case("cosineSimilarity/rows", "cosineSimilarity", [In(uniform((4, 5))), In(uniform((4, 5)))], lambda a, b: F.cosine_similarity(a, b),
                           attrs={"dim": 1}))
    cases.append(make_case("cosineSimilarity/broadcast_last", "cosineSimilarity", [In(uniform((3, 1, 4))), In(uniform((5, 4)))],
                           lambda a, b: F.cosine_similarity(a, b, -1), attrs={"dim": -1}))
    cases.append(make_case("pairwiseDistance/p2", "pairwiseDistance", [In(uniform((4, 5))), In(uniform((4, 5)))], lambda a, b: F.pairwise_distance(a, b),
                           attrs={"p": 2}))
    cases.append(make_case("pairwiseDistance/p1_keep", "pairwiseDistance", [In(uniform((4, 5))), In(uniform((4, 5)))],
                           lambda a, b: F.pairwise_distance(a, b, 1, keepdim=True), attrs={"p": 1, "keepDims": True}))
    cases.append(make_case("oneHot/2d", "oneHot", [In(g.integers((2, 3), 0, 4), "int32")], lambda t: F.one_hot(t, 4), attrs={"numClasses": 4}))
    # The unused input only tells the engine side which device to create the values on.
    anchor = In(np.zeros(1), grad=False)
    cases.append(make_case("linspace/7", "linspace", [anchor], lambda _: torch.linspace(-1.5, 2.0, 7, dtype=torch.float32), attrs={"start": -1.5, "end": 2.0, "steps": 7}))
    cases.append(make_case("linspace/1", "linspace", [anchor], lambda _: torch.linspace(3.0, 5.0, 1, dtype=torch.float32), attrs={"start": 3.0, "end": 5.0, "steps": 1}))
    return cases


def rms_norm(x, shape, weight=None, eps=None):
    """torch 2.4's rms_norm: x / sqrt(mean(x^2 over the trailing dims) + eps) * weight; eps defaults to float32's epsilon."""
    eps = torch.finfo(torch.float32).eps if eps is None else eps
    dims = tuple(range(-len(shape), 0))
    y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
    return y if weight is None else y * weight


def norm_cases():
    cases = []
    cases.append(make_case("instanceNorm/1d_plain", "instanceNorm", [In(uniform((2, 3, 5)))], lambda x: F.instance_norm(x), attrs={}))
    cases.append(make_case("instanceNorm/2d_affine", "instanceNorm", [In(uniform((2, 3, 4, 4))), In(uniform((3,))), In(uniform((3,)))],
                           lambda x, w, b: F.instance_norm(x, weight=w, bias=b), attrs={"affine": True}))
    rm, rv = uniform((3,), -0.5, 0.5), uniform((3,), 0.5, 1.5)

    def with_running(x, m, v):
        m, v = m.detach().clone(), v.detach().clone()
        y = F.instance_norm(x, m, v, momentum=0.2)
        return y, m, v

    cases.append(make_case("instanceNorm/running_stats_update", "instanceNorm_running", [In(uniform((2, 3, 6))), In(rm, grad=False), In(rv, grad=False)],
                           with_running, attrs={"momentum": 0.2}, loss_outputs=[0]))
    cases.append(make_case("instanceNorm/use_running_stats", "instanceNorm_eval", [In(uniform((2, 3, 4))), In(rm, grad=False), In(rv, grad=False)],
                           lambda x, m, v: F.instance_norm(x, m, v, use_input_stats=False), attrs={}))
    cases.append(make_case("rmsNorm/last_dim_weight", "rmsNorm", [In(uniform((2, 3, 8))), In(uniform((8,), 0.5, 1.5))],
                           lambda x, w: rms_norm(x, (8,), w), attrs={"normalizedShape": [8]}))
    cases.append(make_case("rmsNorm/two_dims_no_weight", "rmsNorm", [In(uniform((2, 3, 4)))], lambda x: rms_norm(x, (3, 4)), attrs={"normalizedShape": [3, 4]}))
    tiny = np.round(uniform((2, 6)) * 1e-4, 8)
    cases.append(make_case("rmsNorm/default_eps_dominates", "rmsNorm", [In(tiny)], lambda x: rms_norm(x, (6,)), attrs={"normalizedShape": [6]},
                           note="mean(x^2) ~ 1e-8 sits below float32's epsilon, so the default eps shapes the result"))
    cases.append(make_case("rmsNorm/eps_given", "rmsNorm", [In(uniform((3, 5)))], lambda x: rms_norm(x, (5,), eps=1e-2), attrs={"normalizedShape": [5], "eps": 1e-2}))
    return cases


def loss_cases():
    cases = []
    reductions = ("none", "mean", "sum")
    for r in reductions:
        a, b = uniform((3, 4)), uniform((3, 4))
        cases.append(make_case(f"huberLoss/delta1_{r}", "huberLoss", [In(a), In(b)], lambda x, t, r=r: F.huber_loss(x, t, reduction=r), attrs={"reduction": r}))
    cases.append(make_case("huberLoss/delta0.5", "huberLoss", [In(uniform((3, 4))), In(uniform((3, 4)))], lambda x, t: F.huber_loss(x, t, delta=0.5),
                           attrs={"delta": 0.5}))
    pm = np.array([1, -1, 1, -1, -1, 1]).astype(np.float64)
    for r in reductions:
        cases.append(make_case(f"cosineEmbeddingLoss/margin0.2_{r}", "cosineEmbeddingLoss", [In(uniform((6, 5))), In(uniform((6, 5))), In(pm, grad=False)],
                               lambda a, b, y, r=r: F.cosine_embedding_loss(a, b, y, margin=0.2, reduction=r), attrs={"margin": 0.2, "reduction": r}))
        cases.append(make_case(f"marginRankingLoss/margin0.3_{r}", "marginRankingLoss", [In(uniform((6,))), In(uniform((6,))), In(pm, grad=False)],
                               lambda a, b, y, r=r: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=r), attrs={"margin": 0.3, "reduction": r}))
        cases.append(make_case(f"softMarginLoss/{r}", "softMarginLoss", [In(uniform((2, 3), -4, 4)), In(pm.reshape(2, 3), grad=False)],
                               lambda x, y, r=r: F.soft_margin_loss(x, y, reduction=r), attrs={"reduction": r}))
        cases.append(make_case(f"hingeEmbeddingLoss/margin1.5_{r}", "hingeEmbeddingLoss", [In(uniform((2, 3))), In(pm.reshape(2, 3), grad=False)],
                               lambda x, y, r=r: F.hinge_embedding_loss(x, y, margin=1.5, reduction=r), attrs={"margin": 1.5, "reduction": r}))
        cases.append(make_case(f"tripletMarginLoss/{r}", "tripletMarginLoss", [In(uniform((4, 5))), In(uniform((4, 5))), In(uniform((4, 5)))],
                               lambda a, p, n, r=r: F.triplet_margin_loss(a, p, n, reduction=r), attrs={"reduction": r}))
    cases.append(make_case("cosineEmbeddingLoss/single_pair", "cosineEmbeddingLoss", [In(uniform((5,))), In(uniform((5,))), In(np.array(-1.0), grad=False)],
                           lambda a, b, y: F.cosine_embedding_loss(a.unsqueeze(0), b.unsqueeze(0), y.unsqueeze(0)).reshape(()), attrs={}))
    cases.append(make_case("tripletMarginLoss/swap_p1_margin0.5", "tripletMarginLoss", [In(uniform((4, 5))), In(uniform((4, 5))), In(uniform((4, 5)))],
                           lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=0.5, p=1, swap=True), attrs={"margin": 0.5, "p": 1, "swap": True}))
    labels = g.rng.integers(0, 2, size=(3, 5)).astype(np.float64)
    for r in reductions:
        cases.append(make_case(f"multiLabelSoftMarginLoss/{r}", "multiLabelSoftMarginLoss", [In(uniform((3, 5), -4, 4)), In(labels, grad=False)],
                               lambda x, y, r=r: F.multilabel_soft_margin_loss(x, y, reduction=r), attrs={"reduction": r}))
    cases.append(make_case("multiLabelSoftMarginLoss/weight", "multiLabelSoftMarginLoss",
                           [In(uniform((3, 5), -4, 4)), In(labels, grad=False), In(uniform((5,), 0.5, 2.0), grad=False)],
                           lambda x, y, w: F.multilabel_soft_margin_loss(x, y, weight=w), attrs={"weight": True}))
    counts = np.array([[0.0, 1.0, 2.0, 5.0], [3.0, 0.0, 1.0, 8.0]])
    for r in reductions:
        cases.append(make_case(f"poissonNLLLoss/log_input_{r}", "poissonNLLLoss", [In(uniform((2, 4), -2, 2)), In(counts, grad=False)],
                               lambda x, t, r=r: F.poisson_nll_loss(x, t, reduction=r), attrs={"reduction": r, "logInput": True}))
    cases.append(make_case("poissonNLLLoss/rate_full", "poissonNLLLoss", [In(uniform((2, 4), 0.2, 4)), In(counts, grad=False)],
                           lambda x, t: F.poisson_nll_loss(x, t, log_input=False, full=True), attrs={"logInput": False, "full": True}))
    cases.append(make_case("poissonNLLLoss/log_input_full", "poissonNLLLoss", [In(uniform((2, 4), -2, 2)), In(counts, grad=False)],
                           lambda x, t: F.poisson_nll_loss(x, t, full=True), attrs={"logInput": True, "full": True}))
    for r in reductions:
        cases.append(make_case(f"gaussianNLLLoss/same_shape_{r}", "gaussianNLLLoss", [In(uniform((3, 4))), In(uniform((3, 4))), In(uniform((3, 4), 0.2, 2.0))],
                               lambda x, t, v, r=r: F.gaussian_nll_loss(x, t, v, reduction=r), attrs={"reduction": r}))
    cases.append(make_case("gaussianNLLLoss/var_without_last_dim_full", "gaussianNLLLoss", [In(uniform((3, 4))), In(uniform((3, 4))), In(uniform((3,), 0.2, 2.0))],
                           lambda x, t, v: F.gaussian_nll_loss(x, t, v, full=True), attrs={"full": True}))
    small_var = uniform((3, 1), 0.2, 2.0)
    small_var[1, 0] = 1e-3
    cases.append(make_case("gaussianNLLLoss/last_dim_1_clamped", "gaussianNLLLoss", [In(uniform((3, 4))), In(uniform((3, 4))), In(small_var)],
                           lambda x, t, v: F.gaussian_nll_loss(x, t, v, eps=1e-2), attrs={"eps": 1e-2},
                           note="one variance sits below eps: clamped in the forward pass, the gradient flows as if unclamped (torch)"))
    return cases


def module_cases():
    cases = []

    # InstanceNorm2d(affine=True, track_running_stats=True) runs F.instance_norm with use_input_stats = training.
    def instance_norm_module(x, w, b, m, v):
        m, v = m.detach().clone(), v.detach().clone()
        y = F.instance_norm(x, m, v, w, b, use_input_stats=True, momentum=0.3)
        return y, m, v

    def instance_norm_module_eval(x, w, b, m, v):
        return F.instance_norm(x, m, v, w, b, use_input_stats=False)

    stats = [In(uniform((3,), -0.5, 0.5), grad=False), In(uniform((3,), 0.5, 1.5), grad=False)]
    cases.append(make_case("InstanceNorm2d/affine_track_train", "instanceNorm2dModule",
                           [In(uniform((2, 3, 3, 4))), In(uniform((3,), 0.5, 1.5)), In(uniform((3,))), *stats],
                           instance_norm_module, attrs={"training": True, "momentum": 0.3}, loss_outputs=[0]))
    cases.append(make_case("InstanceNorm2d/affine_track_eval", "instanceNorm2dModule",
                           [In(uniform((2, 3, 3, 4))), In(uniform((3,), 0.5, 1.5)), In(uniform((3,))), *stats],
                           instance_norm_module_eval, attrs={"training": False, "momentum": 0.1}))
    cases.append(make_case("InstanceNorm1d/unbatched", "instanceNorm1dModule", [In(uniform((3, 6)))],
                           lambda x: torch.nn.InstanceNorm1d(3)(x), attrs={}))
    layer = torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, dropout=0.0, batch_first=True)
    decoder = torch.nn.TransformerDecoder(layer, 2, norm=torch.nn.LayerNorm(8))
    params = [(f"layers.{i}.{e}", f"layers.{i}.{t}") for i in range(2) for e, t in DECODER_PARAMS] + [("norm.weight", "norm.weight"), ("norm.bias", "norm.bias")]
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    cases.append(module_case("TransformerDecoder/two_layers_final_norm", "transformerDecoder", decoder, params,
                             [In(uniform((2, 3, 8))), In(uniform((2, 4, 8))), In(causal, "bool")], lambda m, t, mem, tm: m(t, mem, tgt_mask=tm)))
    return cases


def main():
    meta = {"torch": torch.__version__, "numpy": np.__version__}
    count = 0
    total = 0
    for group, build in {"activations": activation_cases, "pooling": pooling_cases, "tensor-ops": tensor_op_cases, "norms": norm_cases,
                         "losses": loss_cases, "modules": module_cases}.items():
        cases = build()
        count += len(cases)
        total += g.write(f"ops-parity2-{group}.json", {**meta, "cases": cases})
    print(f"wrote {count} cases, {total / 1024:.0f} KiB, torch {torch.__version__}")


if __name__ == "__main__":
    main()
