#!/usr/bin/env python3
"""Writes PyTorch golden values for the engine's ops, gradients, optimisers and LR schedulers.

Run from the repository root with Debian's python3-torch:  python3 engine/scripts/generate_golden.py

Each op case holds its inputs (rounded to float32-representable decimals), the forward outputs
computed in float64, a fixed random weight per output and the gradients of sum(out * weight)
w.r.t. every input that requires grad. Files land in engine/fixtures/golden/*.json; the engine's
tests read them and never need Python.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "golden")
SIG_DIGITS = 8
rng = np.random.default_rng(20240611)


# ---------------------------------------------------------------- value helpers

def rounded(values):
    """Flat list of numbers with SIG_DIGITS significant digits (ints stay ints)."""
    flat = np.asarray(values).reshape(-1)
    if flat.dtype.kind in "iub":
        return [int(v) for v in flat]
    return [float(f"{float(v):.{SIG_DIGITS}g}") if math.isfinite(v) else non_finite(v) for v in flat]


def non_finite(v):
    """JSON has no NaN or infinity: they travel as strings that the engine's fixture loader turns back into numbers."""
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def uniform(shape, lo=-2.0, hi=2.0):
    """Random values with 5 significant digits, so float32 and float64 see the same numbers closely."""
    return np.round(rng.uniform(lo, hi, size=shape), 4)


def away_from_zero(shape, lo=0.1, hi=2.0):
    """Magnitudes in [lo, hi] with random signs (keeps relu/abs away from their kink)."""
    return np.round(rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape), 4)


def distinct(shape, spread=4.0):
    """Values that are pairwise far apart (no ties for max/min/argmax and pooling)."""
    n = int(np.prod(shape)) if len(shape) else 1
    perm = rng.permutation(n).astype(np.float64)
    vals = (perm - n / 2) * (spread / n) + rng.uniform(0.0, 0.3 * spread / n, size=n)
    return np.round(vals, 4).reshape(shape)


def integers(shape, lo, hi):
    return rng.integers(lo, hi, size=shape).astype(np.int64)


class In:
    """One op input: its values, dtype and whether the gradient w.r.t. it is checked."""

    def __init__(self, values, dtype="float32", grad=None):
        self.values = np.asarray(values)
        self.dtype = dtype
        self.grad = (dtype == "float32") if grad is None else grad

    def torch(self):
        if self.dtype == "float32":
            return torch.tensor(self.values, dtype=torch.float64, requires_grad=self.grad)
        if self.dtype == "bool":
            return torch.tensor(self.values, dtype=torch.bool)
        return torch.tensor(self.values, dtype=torch.int64)

    def json(self):
        return {
            "shape": list(self.values.shape),
            "dtype": self.dtype,
            "values": rounded(self.values.astype(np.int64) if self.dtype == "bool" else self.values),
            "requiresGrad": self.grad,
        }


def dtype_name(t):
    if t.dtype == torch.bool:
        return "bool"
    if t.dtype.is_floating_point:
        return "float32"
    return "int32"


def make_case(name, op, inputs, fn, attrs=None, loss_outputs=None, forward_only=False, note=None):
    """Evaluates fn on float64 torch inputs; records outputs, weights and input gradients.

    loss_outputs: indices of outputs that enter sum(out * weight) (default: every float output).
    """
    tins = [i.torch() for i in inputs]
    result = fn(*tins)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    if loss_outputs is None:
        loss_outputs = [k for k, o in enumerate(outs) if o.dtype.is_floating_point]
    if forward_only or not any(i.grad for i in inputs):
        loss_outputs = []
    weights = [None] * len(outs)
    loss = None
    for k in loss_outputs:
        w = np.round(rng.uniform(-1.0, 1.0, size=tuple(outs[k].shape)), 4)
        weights[k] = w
        term = (outs[k] * torch.tensor(w, dtype=torch.float64)).sum()
        loss = term if loss is None else loss + term
    grads = [None] * len(inputs)
    if loss is not None and loss.requires_grad:
        loss.backward()
        for k, t in enumerate(tins):
            if inputs[k].grad:
                grads[k] = t.grad.detach().numpy() if t.grad is not None else np.zeros(inputs[k].values.shape)
    case = {
        "name": name,
        "op": op,
        "attrs": attrs or {},
        "inputs": [i.json() for i in inputs],
        "outputs": [{"shape": list(o.shape), "dtype": dtype_name(o), "values": rounded(o.detach().numpy())} for o in outs],
        "weights": [None if w is None else rounded(w) for w in weights],
        "grads": [None if g is None else rounded(g) for g in grads],
    }
    if note:
        case["note"] = note
    return case


# ---------------------------------------------------------------- op cases

def elementwise_cases():
    cases = []
    unary = {
        "neg": (torch.neg, uniform), "abs": (torch.abs, away_from_zero), "exp": (torch.exp, uniform),
        "log": (torch.log, lambda s: uniform(s, 0.2, 3.0)), "sqrt": (torch.sqrt, lambda s: uniform(s, 0.2, 3.0)),
        "rsqrt": (torch.rsqrt, lambda s: uniform(s, 0.2, 3.0)), "reciprocal": (torch.reciprocal, away_from_zero),
        "sin": (torch.sin, lambda s: uniform(s, -4, 4)), "cos": (torch.cos, lambda s: uniform(s, -4, 4)),
        "tanh": (torch.tanh, lambda s: uniform(s, -3, 3)), "sigmoid": (torch.sigmoid, lambda s: uniform(s, -4, 4)),
        "relu": (torch.relu, away_from_zero), "gelu": (lambda x: F.gelu(x), lambda s: uniform(s, -3, 3)),
        "erf": (torch.erf, lambda s: uniform(s, -2.5, 2.5)),
    }
    for op, (fn, gen) in unary.items():
        cases.append(make_case(f"{op}/3x4", op, [In(gen((3, 4)))], fn))
    cases.append(make_case("exp/0d", "exp", [In(uniform(()))], torch.exp))

    cases.append(make_case("clamp/min_max", "clamp", [In(distinct((3, 4)))], lambda x: torch.clamp(x, -0.77, 0.93),
                           attrs={"min": -0.77, "max": 0.93}))
    cases.append(make_case("clamp/min_only", "clamp", [In(distinct((3, 4)))], lambda x: torch.clamp(x, min=0.11),
                           attrs={"min": 0.11}))

    binary = {
        "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
        "maximum": torch.maximum, "minimum": torch.minimum,
    }
    shapes = {"same": ((2, 3), (2, 3)), "row": ((2, 3), (3,)), "outer": ((2, 1, 4), (3, 1)), "0d": ((2, 3), ())}
    for op, fn in binary.items():
        for label, (sa, sb) in shapes.items():
            if op == "div":
                a, b = uniform(sa), away_from_zero(sb, 0.5, 2.0)
            elif op in ("maximum", "minimum"):
                a, b = distinct(sa), distinct(sb) + 0.0123  # offset keeps pairs unequal
            else:
                a, b = uniform(sa), uniform(sb)
            cases.append(make_case(f"{op}/{label}", op, [In(a), In(b)], fn))
    for op, fn, scalar in (("add", torch.add, 1.5), ("sub", torch.sub, 0.75), ("mul", torch.mul, -2.5), ("div", torch.div, 4.0)):
        cases.append(make_case(f"{op}/scalar_right", op, [In(uniform((2, 3)))], lambda x, fn=fn, s=scalar: fn(x, s),
                               attrs={"scalar": scalar, "side": "right"}))
    cases.append(make_case("sub/scalar_left", "sub", [In(uniform((2, 3)))], lambda x: 0.75 - x, attrs={"scalar": 0.75, "side": "left"}))
    cases.append(make_case("div/scalar_left", "div", [In(away_from_zero((2, 3), 0.5, 2.0))], lambda x: 3.0 / x,
                           attrs={"scalar": 3.0, "side": "left"}))

    cases.append(make_case("pow/tensor_exponent", "pow", [In(uniform((2, 3), 0.3, 2.5)), In(uniform((2, 3), -1.5, 2.5))], torch.pow))
    cases.append(make_case("pow/broadcast_exponent", "pow", [In(uniform((2, 3), 0.3, 2.5)), In(uniform((3,), -1.5, 2.5))], torch.pow))
    cases.append(make_case("pow/scalar_2", "pow", [In(uniform((2, 3)))], lambda x: torch.pow(x, 2.0), attrs={"scalar": 2.0, "side": "right"}))
    cases.append(make_case("pow/scalar_half", "pow", [In(uniform((2, 3), 0.3, 2.5))], lambda x: torch.pow(x, 0.5),
                           attrs={"scalar": 0.5, "side": "right"}))
    cases.append(make_case("pow/scalar_base", "pow", [In(uniform((2, 3)))], lambda x: torch.pow(1.7, x), attrs={"scalar": 1.7, "side": "left"}))

    cond = rng.integers(0, 2, size=(2, 3)).astype(bool)
    cases.append(make_case("where/same", "where", [In(cond, "bool"), In(uniform((2, 3))), In(uniform((2, 3)))], torch.where))
    cases.append(make_case("where/broadcast", "where", [In(rng.integers(0, 2, size=(2, 1, 3)).astype(bool), "bool"), In(uniform((4, 3))), In(uniform((3,)))],
                           torch.where))
    cases.append(make_case("where/scalar_other", "where", [In(cond, "bool"), In(uniform((2, 3)))],
                           lambda c, a: torch.where(c, a, torch.tensor(-1.25, dtype=torch.float64)), attrs={"scalar": -1.25}))

    # Edge points where torch defines a specific subgradient.
    ties_a, ties_b = np.array([[1.0, 2.0, -0.5], [0.25, 3.0, -1.0]]), np.array([[1.0, 1.5, -0.5], [0.75, 3.0, -2.0]])
    cases.append(make_case("maximum/ties", "maximum", [In(ties_a), In(ties_b)], torch.maximum, note="torch splits the gradient of equal operands in half"))
    cases.append(make_case("minimum/ties", "minimum", [In(ties_a), In(ties_b)], torch.minimum, note="torch splits the gradient of equal operands in half"))
    cases.append(make_case("clamp/at_bounds", "clamp", [In(np.array([[-1.0, -0.5, 0.0], [0.5, 1.0, 2.0]]))], lambda x: torch.clamp(x, -0.5, 1.0),
                           attrs={"min": -0.5, "max": 1.0}))
    kinks = np.array([[-1.5, 0.0, 0.75], [0.0, -0.25, 2.0]])
    cases.append(make_case("relu/at_zero", "relu", [In(kinks)], torch.relu))
    cases.append(make_case("abs/at_zero", "abs", [In(kinks)], torch.abs))

    # dtype promotion (forward only): PyTorch's rules for int tensors with float scalars and true division.
    ia, ib = integers((2, 3), -9, 10), integers((2, 3), 1, 7)
    cases.append(make_case("add/int32_tensors", "add", [In(ia, "int32"), In(ib, "int32")], torch.add))
    cases.append(make_case("mul/int32_by_float_scalar", "mul", [In(ia, "int32")], lambda x: x * 2.5, attrs={"scalar": 2.5, "side": "right"}))
    cases.append(make_case("div/int32_true_division", "div", [In(ia, "int32"), In(ib, "int32")], torch.div,
                           note="torch.div on integer tensors is true division and returns floats"))

    cases.append(make_case("chain/reuse", "chain_reuse", [In(uniform((2, 3)))], lambda x: x * x + torch.sin(x) * x))
    return cases


def reduce_cases():
    cases = []
    x_shape = (2, 3, 4)
    dim_variants = [("all", None, False), ("dim1", 1, False), ("dims02_keep", [0, 2], True), ("dimneg1_keep", -1, True)]
    for op, fn in (("sum", torch.sum), ("mean", torch.mean)):
        for label, dims, keep in dim_variants:
            f = (lambda x, fn=fn: fn(x)) if dims is None else (lambda x, fn=fn, d=dims, k=keep: fn(x, d, keepdim=k))
            cases.append(make_case(f"{op}/{label}", op, [In(uniform(x_shape))], f, attrs={"dims": dims, "keepDims": keep}))

    for op, fn in (("max", torch.amax), ("min", torch.amin)):
        for label, dims, keep in dim_variants:
            f = (lambda x, fn=fn: fn(x, list(range(x.dim())))) if dims is None else (lambda x, fn=fn, d=dims, k=keep: fn(x, d, keepdim=k))
            cases.append(make_case(f"{op}/{label}", op, [In(distinct(x_shape))], f, attrs={"dims": dims, "keepDims": keep}))

    cases.append(make_case("prod/dim1", "prod", [In(uniform(x_shape, 0.5, 1.5))], lambda x: torch.prod(x, 1), attrs={"dims": 1, "keepDims": False}))
    cases.append(make_case("prod/all", "prod", [In(uniform((2, 3), 0.5, 1.5))], torch.prod, attrs={"dims": None, "keepDims": False}))
    cases.append(make_case("prod/dimneg1_keep", "prod", [In(uniform(x_shape, 0.5, 1.5))], lambda x: torch.prod(x, -1, keepdim=True),
                           attrs={"dims": -1, "keepDims": True}))

    with_zero = uniform((2, 3, 4), 0.5, 1.5)
    with_zero[0, 1, 2] = 0.0
    with_zero[1, 0, 3] = 0.0
    with_zero[1, 2, 3] = 0.0  # two zeros in one reduced slice: every gradient there is zero
    cases.append(make_case("prod/dim1_with_zeros", "prod", [In(with_zero)], lambda x: torch.prod(x, 1), attrs={"dims": 1, "keepDims": False}))
    one_zero = uniform((2, 3), 0.5, 1.5)
    one_zero[1, 1] = 0.0
    cases.append(make_case("prod/all_with_zero", "prod", [In(one_zero)], torch.prod, attrs={"dims": None, "keepDims": False}))
    tied = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.25]])
    cases.append(make_case("max/ties_dim1", "max", [In(tied)], lambda x: torch.amax(x, 1), attrs={"dims": 1, "keepDims": False},
                           note="amax/max over dims split the gradient evenly between tied maxima"))

    cases.append(make_case("variance/dim1_unbiased", "variance", [In(uniform(x_shape))], lambda x: torch.var(x, 1, unbiased=True),
                           attrs={"dims": 1, "keepDims": False, "unbiased": True}))
    cases.append(make_case("variance/dims02_keep_biased", "variance", [In(uniform(x_shape))],
                           lambda x: torch.var(x, [0, 2], unbiased=False, keepdim=True), attrs={"dims": [0, 2], "keepDims": True, "unbiased": False}))
    cases.append(make_case("variance/all", "variance", [In(uniform(x_shape))], lambda x: torch.var(x), attrs={"dims": None, "keepDims": False, "unbiased": True}))

    cases.append(make_case("logsumexp/dim2", "logsumexp", [In(uniform(x_shape, -3, 3))], lambda x: torch.logsumexp(x, 2), attrs={"dim": 2, "keepDims": False}))
    cases.append(make_case("logsumexp/dim0_keep", "logsumexp", [In(uniform(x_shape, -3, 3))], lambda x: torch.logsumexp(x, 0, keepdim=True),
                           attrs={"dim": 0, "keepDims": True}))
    cases.append(make_case("logsumexp/dimneg1", "logsumexp", [In(uniform(x_shape, -3, 3))], lambda x: torch.logsumexp(x, -1), attrs={"dim": -1, "keepDims": False}))
    cases.append(make_case("logsumexp/large_values", "logsumexp", [In(uniform((3, 4), 80, 95))], lambda x: torch.logsumexp(x, 1),
                           attrs={"dim": 1, "keepDims": False}))

    for op, fn in (("argmax", torch.argmax), ("argmin", torch.argmin)):
        cases.append(make_case(f"{op}/dim1", op, [In(distinct(x_shape))], lambda x, fn=fn: fn(x, 1), attrs={"dim": 1, "keepDims": False}))
        cases.append(make_case(f"{op}/dimneg1_keep", op, [In(distinct(x_shape))], lambda x, fn=fn: fn(x, -1, keepdim=True),
                               attrs={"dim": -1, "keepDims": True}))
    return cases


def linalg_cases():
    cases = []
    for label, sa, sb in (
        ("2d", (3, 4), (4, 5)), ("3d_by_2d", (2, 3, 4), (4, 5)), ("1d_by_2d", (4,), (4, 5)), ("2d_by_1d", (3, 4), (4,)),
        ("1d_by_1d", (4,), (4,)), ("batch_broadcast", (2, 1, 3, 4), (3, 4, 2)), ("2d_by_3d", (3, 4), (2, 4, 5)),
        ("3d_by_1d", (2, 3, 4), (4,)), ("1d_by_3d", (4,), (2, 4, 5)),
    ):
        cases.append(make_case(f"matmul/{label}", "matmul", [In(uniform(sa)), In(uniform(sb))], torch.matmul))
    cases.append(make_case("bmm/2x3x4_2x4x2", "bmm", [In(uniform((2, 3, 4))), In(uniform((2, 4, 2)))], torch.bmm))
    cases.append(make_case("linear/bias", "linear", [In(uniform((3, 4))), In(uniform((5, 4))), In(uniform((5,)))], F.linear))
    cases.append(make_case("linear/no_bias", "linear", [In(uniform((3, 4))), In(uniform((5, 4)))], F.linear))
    cases.append(make_case("linear/1d_input", "linear", [In(uniform((4,))), In(uniform((5, 4))), In(uniform((5,)))], F.linear))
    cases.append(make_case("linear/3d_input", "linear", [In(uniform((2, 3, 4))), In(uniform((2, 4))), In(uniform((2,)))], F.linear))
    cases.append(make_case(
        "chain/mlp", "chain_mlp",
        [In(uniform((4, 3))), In(uniform((5, 3), -1, 1)), In(uniform((5,), -1, 1)), In(uniform((2, 5), -1, 1)), In(uniform((2,), -1, 1))],
        lambda x, w1, b1, w2, b2: F.log_softmax(F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2), dim=1),
    ))
    return cases


def conv_cases():
    cases = []

    def conv(label, x_shape, w_shape, bias, stride=1, padding=0, dilation=1, groups=1):
        ins = [In(uniform(x_shape, -1, 1)), In(uniform(w_shape, -1, 1))]
        if bias:
            ins.append(In(uniform((w_shape[0],), -1, 1)))
        attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}

        def fn(x, w, b=None):
            if isinstance(padding, list) and len(padding) == 4:
                t, l, bo, r = padding
                return F.conv2d(F.pad(x, (l, r, t, bo)), w, b, stride=stride, padding=0, dilation=dilation, groups=groups)
            pad = tuple(padding) if isinstance(padding, list) else padding
            st = tuple(stride) if isinstance(stride, list) else stride
            di = tuple(dilation) if isinstance(dilation, list) else dilation
            return F.conv2d(x, w, b, stride=st, padding=pad, dilation=di, groups=groups)

        cases.append(make_case(f"conv2d/{label}", "conv2d", ins, fn, attrs=attrs))

    conv("basic", (2, 3, 6, 6), (4, 3, 3, 3), False)
    conv("bias", (2, 3, 5, 5), (4, 3, 3, 3), True)
    conv("stride2_pad1", (2, 3, 7, 7), (4, 3, 3, 3), True, stride=2, padding=1)
    conv("pad_hw", (1, 2, 5, 6), (3, 2, 3, 3), True, padding=[1, 2])
    conv("pad_asymmetric", (1, 2, 5, 5), (3, 2, 3, 3), True, padding=[1, 0, 2, 1])
    conv("stride_hw", (1, 2, 7, 8), (3, 2, 3, 2), True, stride=[2, 3], padding=1)
    conv("dilation2", (2, 2, 7, 7), (3, 2, 3, 3), True, dilation=2, padding=2)
    conv("groups3", (2, 3, 5, 5), (6, 1, 3, 3), True, groups=3, padding=1)
    conv("groups2_stride_dilation", (1, 4, 8, 8), (4, 2, 3, 3), False, stride=2, dilation=2, groups=2, padding=1)
    conv("kernel_1x1", (2, 3, 4, 4), (5, 3, 1, 1), True)
    conv("kernel_2x3", (1, 2, 5, 6), (2, 2, 2, 3), True)
    return cases


def pool_cases():
    cases = []

    def maxpool(label, x_shape, kernel, stride=None, padding=0, ceil=False):
        attrs = {"kernel": kernel, "stride": stride, "padding": padding, "ceilMode": ceil}

        def fn(x):
            if isinstance(padding, list) and len(padding) == 4:
                t, l, b, r = padding
                xp = F.pad(x, (l, r, t, b), value=-math.inf)
                return F.max_pool2d(xp, kernel, stride=stride, padding=0, ceil_mode=ceil)
            pad = tuple(padding) if isinstance(padding, list) else padding
            return F.max_pool2d(x, kernel, stride=stride, padding=pad, ceil_mode=ceil)

        cases.append(make_case(f"maxPool2d/{label}", "maxPool2d", [In(distinct(x_shape))], fn, attrs=attrs))

    maxpool("k2", (2, 2, 6, 6), 2)
    maxpool("k3_s2", (1, 2, 7, 7), 3, stride=2)
    maxpool("k3_s2_pad1", (1, 2, 7, 7), 3, stride=2, padding=1)
    maxpool("k3_s2_ceil", (1, 2, 8, 8), 3, stride=2, ceil=True)
    maxpool("k2_s1_overlap", (1, 1, 5, 5), 2, stride=1)
    maxpool("k2x3_s1x2", (1, 2, 6, 7), [2, 3], stride=[1, 2])
    maxpool("k3_s2_pad1_ceil", (1, 1, 8, 8), 3, stride=2, padding=1, ceil=True)
    maxpool_ties = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.5, 2.0, 2.0], [0.0, 3.0, 3.0, 1.0], [3.0, 3.0, 1.0, 1.0]]]])
    cases.append(make_case("maxPool2d/ties_first_wins", "maxPool2d", [In(maxpool_ties)], lambda x: F.max_pool2d(x, 2, stride=1),
                           attrs={"kernel": 2, "stride": 1, "padding": 0, "ceilMode": False},
                           note="torch's CPU kernel sends each window's gradient to its first maximum in row-major order"))
    maxpool("pad_asymmetric", (1, 1, 5, 5), 2, stride=2, padding=[1, 0, 0, 1])

    def avgpool(label, x_shape, kernel, stride=None, padding=0, ceil=False, include=True):
        attrs = {"kernel": kernel, "stride": stride, "padding": padding, "ceilMode": ceil, "countIncludePad": include}
        pad = tuple(padding) if isinstance(padding, list) else padding
        fn = lambda x: F.avg_pool2d(x, kernel, stride=stride, padding=pad, ceil_mode=ceil, count_include_pad=include)
        cases.append(make_case(f"avgPool2d/{label}", "avgPool2d", [In(uniform(x_shape))], fn, attrs=attrs))

    avgpool("k2", (2, 2, 6, 6), 2)
    avgpool("k3_s2", (1, 2, 7, 7), 3, stride=2)
    avgpool("k3_s2_pad1_include", (1, 2, 7, 7), 3, stride=2, padding=1, include=True)
    avgpool("k3_s2_pad1_exclude", (1, 2, 7, 7), 3, stride=2, padding=1, include=False)
    avgpool("k3_s2_ceil", (1, 1, 8, 8), 3, stride=2, ceil=True)
    avgpool("k3_s2_pad1_ceil_include", (1, 1, 8, 8), 3, stride=2, padding=1, ceil=True, include=True)
    avgpool("k3_s2_pad1_ceil_exclude", (1, 1, 8, 8), 3, stride=2, padding=1, ceil=True, include=False)
    avgpool("k2x3_s1x2_pad_hw", (1, 2, 6, 7), [2, 3], stride=[1, 2], padding=[1, 1])
    return cases


def nn_cases():
    cases = []
    for label, shape, dim in (("dimneg1", (3, 4), -1), ("dim0", (3, 4), 0), ("dim1_3d", (2, 3, 4), 1)):
        cases.append(make_case(f"softmax/{label}", "softmax", [In(uniform(shape, -3, 3))], lambda x, d=dim: F.softmax(x, d), attrs={"dim": dim}))
        cases.append(make_case(f"logSoftmax/{label}", "logSoftmax", [In(uniform(shape, -3, 3))], lambda x, d=dim: F.log_softmax(x, d), attrs={"dim": dim}))
    cases.append(make_case("softmax/large_values", "softmax", [In(uniform((2, 5), 60, 90))], lambda x: F.softmax(x, 1), attrs={"dim": 1}))

    def ln(label, shape, norm, affine, eps=1e-5, forward_only=False):
        ins = [In(uniform(shape), grad=not forward_only)]
        if affine:
            ins += [In(uniform(tuple(norm), 0.5, 1.5), grad=not forward_only), In(uniform(tuple(norm), -0.5, 0.5), grad=not forward_only)]
        fn = lambda x, w=None, b=None: F.layer_norm(x, norm, w, b, eps)
        cases.append(make_case(f"layerNorm/{label}", "layerNorm", ins, fn, attrs={"normalizedShape": norm, "eps": eps}, forward_only=forward_only))

    ln("last_dim_affine", (2, 3, 4), [4], True)
    ln("two_dims_affine", (2, 3, 4), [3, 4], True)
    ln("no_affine", (3, 5), [5], False)
    ln("eps_1e-3", (3, 4), [4], True, eps=1e-3)
    ln("forward_only_fused", (2, 3, 4), [4], True, forward_only=True)
    for forward_only in (False, True):
        label = "bias_only_forward_only_fused" if forward_only else "bias_only"
        ins = [In(uniform((3, 4)), grad=not forward_only), In(uniform((4,), -0.5, 0.5), grad=not forward_only)]
        cases.append(make_case(f"layerNorm/{label}", "layerNorm_bias_only", ins, lambda x, b: F.layer_norm(x, [4], None, b),
                               attrs={"normalizedShape": [4], "eps": 1e-5}, forward_only=forward_only))
    ln("forward_only_fused_no_affine", (3, 5), [5], False, forward_only=True)

    def bn(label, shape, training, momentum=0.1, eps=1e-5, forward_only=False):
        c = shape[1]
        rm, rv = uniform((c,), -0.5, 0.5), uniform((c,), 0.5, 1.5)
        ins = [In(uniform(shape), grad=not forward_only), In(rm, grad=False), In(rv, grad=False),
               In(uniform((c,), 0.5, 1.5), grad=not forward_only), In(uniform((c,), -0.5, 0.5), grad=not forward_only)]

        def fn(x, m, v, w, b):
            m, v = m.clone(), v.clone()
            y = F.batch_norm(x, m, v, w, b, training=training, momentum=momentum, eps=eps)
            return y, m, v

        cases.append(make_case(f"batchNorm/{label}", "batchNorm", ins, fn, attrs={"training": training, "momentum": momentum, "eps": eps},
                               loss_outputs=[0], forward_only=forward_only))

    bn("train_4d", (4, 3, 2, 2), True)
    bn("train_2d", (5, 3), True, momentum=0.3)
    bn("eval_4d", (2, 3, 2, 2), False)
    bn("eval_forward_only_fused", (2, 3, 2, 2), False, forward_only=True)
    bn("train_forward_only", (4, 2, 3, 3), True, forward_only=True)

    cases.append(make_case("dropout/eval_identity", "dropout", [In(uniform((2, 3)))], lambda x: x * 1.0, attrs={"p": 0.5, "training": False}))
    cases.append(make_case("dropout/p0_identity", "dropout", [In(uniform((2, 3)))], lambda x: x * 1.0, attrs={"p": 0.0, "training": True}))
    return cases


def indexing_cases():
    cases = []
    idx = np.array([[0, 2, 5, 2], [1, 1, 4, 0]])
    cases.append(make_case("embedding/repeated_rows", "embedding", [In(idx, "int32"), In(uniform((6, 3)))], lambda i, w: F.embedding(i, w)))
    cases.append(make_case("embedding/1d", "embedding", [In(np.array([3, 0, 3]), "int32"), In(uniform((4, 2)))], lambda i, w: F.embedding(i, w)))

    def take(x, i, dim):
        flat = i.reshape(-1) % x.shape[dim]
        picked = x.index_select(dim, flat)
        return picked.reshape(x.shape[:dim] + i.shape + x.shape[dim + 1:])

    cases.append(make_case("gather/dim1_2d_index", "gather", [In(uniform((3, 5))), In(np.array([[4, 0], [2, 4]]), "int32")],
                           lambda x, i: take(x, i, 1), attrs={"dim": 1}))
    cases.append(make_case("gather/dim0", "gather", [In(uniform((4, 3))), In(np.array([1, 1, 3]), "int32")],
                           lambda x, i: take(x, i, 0), attrs={"dim": 0}))
    cases.append(make_case("gather/scalar_index", "gather", [In(uniform((3, 4))), In(np.array(2), "int32")],
                           lambda x, i: take(x, i, 1), attrs={"dim": 1}))
    cases.append(make_case("gather/negative_index", "gather", [In(uniform((4, 3))), In(np.array([-1, 0, -4]), "int32")],
                           lambda x, i: take(x, i, 0), attrs={"dim": 0}))
    cases.append(make_case("gatherElements/dim1", "gatherElements", [In(uniform((3, 4))), In(integers((3, 5), 0, 4), "int32")],
                           lambda x, i: torch.gather(x, 1, i), attrs={"dim": 1}))
    cases.append(make_case("gatherElements/dim0_3d", "gatherElements", [In(uniform((3, 2, 2))), In(integers((2, 2, 2), 0, 3), "int32")],
                           lambda x, i: torch.gather(x, 0, i), attrs={"dim": 0}))
    return cases


def shape_cases():
    cases = []
    cases.append(make_case("cat/dim0", "cat", [In(uniform((2, 3))), In(uniform((1, 3))), In(uniform((3, 3)))],
                           lambda *xs: torch.cat(xs, 0), attrs={"dim": 0}))
    cases.append(make_case("cat/dim1", "cat", [In(uniform((2, 1, 2))), In(uniform((2, 3, 2)))], lambda *xs: torch.cat(xs, 1), attrs={"dim": 1}))
    cases.append(make_case("cat/dimneg1", "cat", [In(uniform((2, 2))), In(uniform((2, 3)))], lambda *xs: torch.cat(xs, -1), attrs={"dim": -1}))
    cases.append(make_case("stack/dim0", "stack", [In(uniform((2, 3))), In(uniform((2, 3)))], lambda *xs: torch.stack(xs, 0), attrs={"dim": 0}))
    cases.append(make_case("stack/dimneg1", "stack", [In(uniform((2, 3))), In(uniform((2, 3))), In(uniform((2, 3)))],
                           lambda *xs: torch.stack(xs, -1), attrs={"dim": -1}))
    cases.append(make_case("split/size2_dim1", "split", [In(uniform((2, 5)))], lambda x: torch.split(x, 2, 1), attrs={"size": 2, "dim": 1}))
    cases.append(make_case("split/sizes_dim0", "split", [In(uniform((4, 3)))], lambda x: torch.split(x, [1, 3], 0), attrs={"size": [1, 3], "dim": 0}))

    def pad_case(label, shape, pads, mode="constant", value=0.0, forward_only=False):
        """pads in the engine's order: (before, after) per dim from the first dim."""
        full = list(pads) + [0] * (2 * len(shape) - len(pads))
        torch_pads = []
        for d in reversed(range(len(shape))):
            torch_pads += [full[2 * d], full[2 * d + 1]]
        while len(torch_pads) > 2 and torch_pads[-2:] == [0, 0]:
            torch_pads = torch_pads[:-2]  # torch's non-constant modes reject pads on leading dims, even zero ones
        torch_mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode]
        fn = (lambda x: F.pad(x, tuple(torch_pads), mode="constant", value=value)) if mode == "constant" else (lambda x: F.pad(x, tuple(torch_pads), mode=torch_mode))
        cases.append(make_case(f"pad/{label}", "pad", [In(uniform(shape), grad=not forward_only)], fn,
                               attrs={"pads": pads, "mode": mode, "value": value}, forward_only=forward_only))

    pad_case("constant_2d", (2, 3), [1, 0, 2, 1])
    pad_case("constant_value", (2, 3), [0, 2, 1, 1], value=0.5)
    pad_case("first_dim_only", (2, 3, 2), [1, 2])
    pad_case("constant_4d_spatial", (1, 2, 3, 3), [0, 0, 0, 0, 1, 1, 2, 0])
    pad_case("reflect_4d", (1, 2, 3, 4), [0, 0, 0, 0, 1, 2, 2, 1], mode="reflect", forward_only=True)
    pad_case("edge_4d", (1, 2, 3, 4), [0, 0, 0, 0, 2, 1, 1, 3], mode="edge", forward_only=True)
    pad_case("negative_crop", (3, 4), [-1, 1, 0, -2], forward_only=True)

    cases.append(make_case("slice/step2", "slice", [In(uniform((3, 6)))], lambda x: x[:, 1:5:2], attrs={"dim": 1, "start": 1, "end": 5, "step": 2}))
    cases.append(make_case("slice/negative_start", "slice", [In(uniform((5, 2)))], lambda x: x[-3:], attrs={"dim": 0, "start": -3, "end": 5, "step": 1}))
    cases.append(make_case("permute/201", "permute", [In(uniform((2, 3, 4)))], lambda x: x.permute(2, 0, 1), attrs={"dims": [2, 0, 1]}))
    cases.append(make_case("transpose/then_reshape", "transpose_reshape", [In(uniform((3, 4)))], lambda x: x.t().reshape(2, 6)))
    cases.append(make_case("expand/3x1_to_3x4", "expand", [In(uniform((3, 1)))], lambda x: x.expand(3, 4), attrs={"shape": [3, 4]}))
    cases.append(make_case("expand/new_leading_dim", "expand", [In(uniform((3,)))], lambda x: x.expand(2, 3), attrs={"shape": [2, 3]}))
    return cases


def loss_cases():
    cases = []
    logits, tgt = uniform((4, 5), -3, 3), np.array([1, 0, 4, 2])
    cases.append(make_case("crossEntropy/class_targets", "crossEntropy", [In(logits), In(tgt, "int32")], lambda x, t: F.cross_entropy(x, t)))
    cases.append(make_case("crossEntropy/label_smoothing", "crossEntropy", [In(uniform((4, 5), -3, 3)), In(tgt, "int32")],
                           lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), attrs={"labelSmoothing": 0.1}))
    probs = rng.dirichlet(np.ones(5), size=3)
    cases.append(make_case("crossEntropy/probability_targets", "crossEntropy", [In(uniform((3, 5), -3, 3)), In(np.round(probs, 6), grad=False)],
                           lambda x, t: F.cross_entropy(x, t)))
    probs2 = rng.dirichlet(np.ones(4), size=2)
    cases.append(make_case("crossEntropy/probability_targets_label_smoothing", "crossEntropy",
                           [In(uniform((2, 4), -3, 3)), In(np.round(probs2, 6), grad=False)],
                           lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2), attrs={"labelSmoothing": 0.2}))
    cases.append(make_case("mseLoss/3x4", "mseLoss", [In(uniform((3, 4))), In(uniform((3, 4)))], F.mse_loss))
    cases.append(make_case("binaryCrossEntropyWithLogits/3x4", "binaryCrossEntropyWithLogits",
                           [In(uniform((3, 4), -4, 4)), In(uniform((3, 4), 0, 1), grad=False)], F.binary_cross_entropy_with_logits))
    cases.append(make_case("binaryCrossEntropyWithLogits/large_logits", "binaryCrossEntropyWithLogits",
                           [In(np.array([[30.0, -30.0, 0.5], [-45.0, 60.0, -0.25]])), In(np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), grad=False)],
                           F.binary_cross_entropy_with_logits))
    return cases


def parity_loss_cases():
    """Losses with torch's options (weight, ignoreIndex, reduction, labelSmoothing) and the other torch losses."""
    cases = []
    ce = lambda **kw: (lambda x, t, w=None: F.cross_entropy(x, t, weight=w, **kw))
    # ignoreIndex is set on a few targets; weights are no-grad inputs.
    tgt3 = integers((2, 3), 0, 4)
    tgt3[0, 1] = -100
    tgt3[1, 2] = -100
    w4 = In(uniform((4,), 0.2, 2.0), grad=False)
    cases.append(make_case("crossEntropy/NCd_ignore_index", "crossEntropy", [In(uniform((2, 4, 3), -3, 3)), In(tgt3, "int32")], ce()))
    cases.append(make_case("crossEntropy/NCd_weight_ignore_mean", "crossEntropy", [In(uniform((2, 4, 3), -3, 3)), In(tgt3, "int32"), w4], ce()))
    cases.append(make_case("crossEntropy/NCd_weight_sum", "crossEntropy", [In(uniform((2, 4, 3), -3, 3)), In(tgt3, "int32"), w4], ce(reduction="sum"),
                           attrs={"reduction": "sum"}))
    cases.append(make_case("crossEntropy/NCd_none", "crossEntropy", [In(uniform((2, 4, 3), -3, 3)), In(tgt3, "int32")], ce(reduction="none"),
                           attrs={"reduction": "none"}))
    tgt_custom = integers((5,), 0, 3)
    tgt_custom[2] = 1
    cases.append(make_case("crossEntropy/ignore_index_1", "crossEntropy", [In(uniform((5, 3), -3, 3)), In(tgt_custom, "int32")], ce(ignore_index=1),
                           attrs={"ignoreIndex": 1}))
    cases.append(make_case("crossEntropy/smoothing_weight_ignore", "crossEntropy", [In(uniform((2, 4, 3), -3, 3)), In(tgt3, "int32"), w4],
                           ce(label_smoothing=0.15), attrs={"labelSmoothing": 0.15}))
    cases.append(make_case("crossEntropy/smoothing_ignore_none", "crossEntropy", [In(uniform((2, 4, 3), -3, 3)), In(tgt3, "int32")],
                           ce(label_smoothing=0.2, reduction="none"), attrs={"labelSmoothing": 0.2, "reduction": "none"}))
    cases.append(make_case("crossEntropy/smoothing_sum", "crossEntropy", [In(uniform((4, 5), -3, 3)), In(integers((4,), 0, 5), "int32")],
                           ce(label_smoothing=0.1, reduction="sum"), attrs={"labelSmoothing": 0.1, "reduction": "sum"}))
    probs = np.round(rng.dirichlet(np.ones(4), size=(2, 3)).transpose(0, 2, 1), 6)
    cases.append(make_case("crossEntropy/probabilities_NCd_weight", "crossEntropy", [In(uniform((2, 4, 3), -3, 3)), In(probs, grad=False), w4], ce()))
    cases.append(make_case("crossEntropy/unbatched", "crossEntropy", [In(uniform((5,), -3, 3)), In(np.array(3), "int32")], ce()))
    cases.append(make_case("crossEntropy/BTV_transposed_gpt_style", "crossEntropy_btv", [In(uniform((2, 3, 5), -3, 3)), In(integers((2, 3), 0, 5), "int32")],
                           lambda x, t: F.cross_entropy(x.reshape(-1, 5), t.reshape(-1))))

    logp = lambda shape: np.log(np.round(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]), 6) + 1e-6)
    cases.append(make_case("nllLoss/weight_ignore", "nllLoss", [In(uniform((2, 4, 3), -3, 0)), In(tgt3, "int32"), w4],
                           lambda x, t, w: F.nll_loss(x, t, weight=w)))
    cases.append(make_case("nllLoss/sum", "nllLoss", [In(uniform((4, 3), -3, 0)), In(integers((4,), 0, 3), "int32")],
                           lambda x, t: F.nll_loss(x, t, reduction="sum"), attrs={"reduction": "sum"}))
    cases.append(make_case("binaryCrossEntropy/mean", "binaryCrossEntropy", [In(uniform((3, 4), 0.02, 0.98)), In(uniform((3, 4), 0, 1), grad=False)],
                           F.binary_cross_entropy))
    cases.append(make_case("binaryCrossEntropy/weight_sum", "binaryCrossEntropy",
                           [In(uniform((3, 4), 0.02, 0.98)), In(rng.integers(0, 2, (3, 4)).astype(np.float64), grad=False), In(uniform((4,), 0.5, 2), grad=False)],
                           lambda x, t, w: F.binary_cross_entropy(x, t, weight=w.expand(3, 4), reduction="sum"), attrs={"reduction": "sum"}))
    cases.append(make_case("binaryCrossEntropyWithLogits/pos_weight_none", "binaryCrossEntropyWithLogits",
                           [In(uniform((3, 4), -4, 4)), In(uniform((3, 4), 0, 1), grad=False), In(uniform((4,), 0.5, 3), grad=False)],
                           lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none"), attrs={"reduction": "none", "posWeight": True}))
    cases.append(make_case("mseLoss/sum", "mseLoss", [In(uniform((3, 4))), In(uniform((3, 4)))], lambda a, b: F.mse_loss(a, b, reduction="sum"),
                           attrs={"reduction": "sum"}))
    cases.append(make_case("l1Loss/mean", "l1Loss", [In(uniform((3, 4))), In(uniform((3, 4)) + 0.01)], F.l1_loss))
    cases.append(make_case("l1Loss/none", "l1Loss", [In(uniform((2, 3))), In(uniform((2, 3)) + 0.01)], lambda a, b: F.l1_loss(a, b, reduction="none"),
                           attrs={"reduction": "none"}))
    cases.append(make_case("smoothL1Loss/beta1", "smoothL1Loss", [In(uniform((3, 4))), In(uniform((3, 4)) + 0.001)], F.smooth_l1_loss))
    cases.append(make_case("smoothL1Loss/beta0.5_sum", "smoothL1Loss", [In(uniform((3, 4))), In(uniform((3, 4)) + 0.001)],
                           lambda a, b: F.smooth_l1_loss(a, b, beta=0.5, reduction="sum"), attrs={"beta": 0.5, "reduction": "sum"}))
    cases.append(make_case("klDiv/batchmean", "klDiv", [In(logp((3, 5))), In(np.round(rng.dirichlet(np.ones(5), size=3), 6), grad=False)],
                           lambda x, t: F.kl_div(x, t, reduction="batchmean"), attrs={"reduction": "batchmean"}))
    zero_t = np.round(rng.dirichlet(np.ones(4), size=2), 6)
    zero_t[0, 1] = 0.0
    cases.append(make_case("klDiv/mean_with_zero_target", "klDiv", [In(logp((2, 4))), In(zero_t, grad=False)], lambda x, t: F.kl_div(x, t)))
    cases.append(make_case("klDiv/log_target_sum", "klDiv", [In(logp((2, 4))), In(logp((2, 4)), grad=False)],
                           lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True), attrs={"reduction": "sum", "logTarget": True}))
    return cases


def parity_op_cases():
    """Tensor ops added for PyTorch parity: masking, triangles, einsum, sorting, scans, rearranging, norms."""
    cases = []
    mask = rng.integers(0, 2, size=(3, 4)).astype(bool)
    cases.append(make_case("maskedFill/same_shape", "maskedFill", [In(uniform((3, 4))), In(mask, "bool")], lambda x, m: x.masked_fill(m, -1.5),
                           attrs={"value": -1.5}))
    cases.append(make_case("maskedFill/broadcast_row", "maskedFill", [In(uniform((2, 3, 4))), In(rng.integers(0, 2, size=(1, 4)).astype(bool), "bool")],
                           lambda x, m: x.masked_fill(m, 0.0), attrs={"value": 0.0}))
    for d in (0, 1, -1):
        cases.append(make_case(f"triu/diag{d}", "triu", [In(uniform((2, 3, 4)))], lambda x, d=d: torch.triu(x, d), attrs={"diagonal": d}))
        cases.append(make_case(f"tril/diag{d}", "tril", [In(uniform((4, 3)))], lambda x, d=d: torch.tril(x, d), attrs={"diagonal": d}))
    for eq, shapes in (
        ("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
        ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (2,)]), ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
        ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("bi,bj", [(2, 3), (2, 4)]), ("ij,ij->i", [(3, 4), (3, 4)]),
    ):
        cases.append(make_case(f"einsum/{eq}", "einsum", [In(uniform(s)) for s in shapes], lambda *xs, eq=eq: torch.einsum(eq, *xs), attrs={"equation": eq}))
    cases.append(make_case("sort/dim1", "sort", [In(distinct((3, 5)))], lambda x: torch.sort(x, 1), attrs={"dim": 1, "descending": False}))
    cases.append(make_case("sort/dim0_descending", "sort", [In(distinct((4, 3)))], lambda x: torch.sort(x, 0, descending=True), attrs={"dim": 0, "descending": True}))
    ties = np.array([[2.0, 1.0, 2.0, 0.5, 1.0]])
    cases.append(make_case("sort/stable_ties", "sort", [In(ties)], lambda x: torch.sort(x, dim=1, stable=True), attrs={"dim": 1, "descending": False}))
    cases.append(make_case("argsort/dimneg1_descending", "argsort", [In(distinct((2, 3, 4)))], lambda x: torch.argsort(x, -1, descending=True),
                           attrs={"dim": -1, "descending": True}))
    cases.append(make_case("topk/k2_largest", "topk", [In(distinct((3, 6)))], lambda x: torch.topk(x, 2, 1), attrs={"k": 2, "dim": 1, "largest": True}))
    cases.append(make_case("topk/k3_smallest_dim0", "topk", [In(distinct((5, 2)))], lambda x: torch.topk(x, 3, 0, largest=False),
                           attrs={"k": 3, "dim": 0, "largest": False}))
    cases.append(make_case("cumsum/dim1", "cumsum", [In(uniform((3, 7)))], lambda x: torch.cumsum(x, 1), attrs={"dim": 1}))
    cases.append(make_case("cumsum/dim0_3d", "cumsum", [In(uniform((5, 2, 3)))], lambda x: torch.cumsum(x, 0), attrs={"dim": 0}))
    cases.append(make_case("cumsum/int32", "cumsum", [In(integers((2, 5), -5, 5), "int32")], lambda x: torch.cumsum(x, 1), attrs={"dim": 1}))
    cases.append(make_case("cumprod/dimneg1", "cumprod", [In(uniform((2, 6), 0.5, 1.5))], lambda x: torch.cumprod(x, -1), attrs={"dim": -1}))
    with_zero = uniform((2, 5), 0.5, 1.5)
    with_zero[0, 2] = 0.0
    cases.append(make_case("cumprod/with_zero", "cumprod", [In(with_zero)], lambda x: torch.cumprod(x, 1), attrs={"dim": 1}))
    cases.append(make_case("indexSelect/dim1", "indexSelect", [In(uniform((3, 5))), In(np.array([4, 0, 4, 2]), "int32")],
                           lambda x, i: torch.index_select(x, 1, i), attrs={"dim": 1}))
    cases.append(make_case("repeat/2x3", "repeat", [In(uniform((2, 3)))], lambda x: x.repeat(2, 3), attrs={"sizes": [2, 3]}))
    cases.append(make_case("repeat/new_dims", "repeat", [In(uniform((3,)))], lambda x: x.repeat(2, 1, 2), attrs={"sizes": [2, 1, 2]}))
    cases.append(make_case("flip/dims01", "flip", [In(uniform((2, 3, 2)))], lambda x: torch.flip(x, [0, 1]), attrs={"dims": [0, 1]}))
    cases.append(make_case("roll/dim1", "roll", [In(uniform((2, 5)))], lambda x: torch.roll(x, 2, 1), attrs={"shifts": 2, "dims": 1}))
    cases.append(make_case("roll/two_dims_negative", "roll", [In(uniform((3, 4)))], lambda x: torch.roll(x, (-1, 3), (0, 1)),
                           attrs={"shifts": [-1, 3], "dims": [0, 1]}))
    cases.append(make_case("roll/flattened", "roll", [In(uniform((2, 3)))], lambda x: torch.roll(x, 4), attrs={"shifts": 4}))
    cases.append(make_case("norm/l2_all", "norm", [In(uniform((3, 4)))], lambda x: torch.linalg.vector_norm(x), attrs={"p": 2}))
    cases.append(make_case("norm/l1_dim1", "norm", [In(away_from_zero((3, 4)))], lambda x: torch.linalg.vector_norm(x, 1, dim=1), attrs={"p": 1, "dims": 1}))
    cases.append(make_case("norm/p3_dim0_keep", "norm", [In(away_from_zero((3, 4)))], lambda x: torch.linalg.vector_norm(x, 3, dim=0, keepdim=True),
                           attrs={"p": 3, "dims": 0, "keepDims": True}))
    cases.append(make_case("norm/inf_dim1", "norm", [In(distinct((3, 4)))], lambda x: torch.linalg.vector_norm(x, float("inf"), dim=1),
                           attrs={"p": "inf", "dims": 1}))
    return cases


def module_case(name, op, module, params, extra, call, attrs=None):
    """A torch module run with the case's inputs as its parameters (functional_call), in float64.

    params: [(engine name, torch name)]; extra: the non-parameter inputs, first. The engine side sets
    attrs["params"] (engine names) on a fresh module of the same configuration.
    """
    from torch.nn.utils.stateless import functional_call
    module = module.double()
    shapes = dict(module.named_parameters())
    ins = list(extra) + [In(uniform(tuple(shapes[t].shape), -0.5, 0.5)) for _, t in params]
    k = len(extra)

    def fn(*ts):
        weights = {t: v for (_, t), v in zip(params, ts[k:])}
        run = lambda *args, **kw: functional_call(module, weights, args, kw)
        return call(run, *ts[:k])

    return make_case(name, op, ins, fn, attrs={**(attrs or {}), "params": [e for e, _ in params]})


MHA_PARAMS = [("inProjWeight", "in_proj_weight"), ("inProjBias", "in_proj_bias"), ("outProj.weight", "out_proj.weight"), ("outProj.bias", "out_proj.bias")]


def layer_params(prefix_pairs):
    out = []
    for e, t in prefix_pairs:
        out += [(f"{e}.{a}", f"{t}.{b}") for a, b in MHA_PARAMS]
    return out


ENCODER_PARAMS = layer_params([("selfAttn", "self_attn")]) + [
    ("linear1.weight", "linear1.weight"), ("linear1.bias", "linear1.bias"), ("linear2.weight", "linear2.weight"), ("linear2.bias", "linear2.bias"),
    ("norm1.weight", "norm1.weight"), ("norm1.bias", "norm1.bias"), ("norm2.weight", "norm2.weight"), ("norm2.bias", "norm2.bias")]
DECODER_PARAMS = layer_params([("selfAttn", "self_attn"), ("multiheadAttn", "multihead_attn")]) + ENCODER_PARAMS[4:] + [
    ("norm3.weight", "norm3.weight"), ("norm3.bias", "norm3.bias")]


def attention_cases():
    """scaledDotProductAttention (written out: torch 1.13 has no F.scaled_dot_product_attention), MultiheadAttention and transformer layers."""
    cases = []

    def sdpa(q, k, v, mask=None, causal=False, scale=None):
        s = q @ k.transpose(-2, -1) * (scale if scale is not None else 1 / math.sqrt(q.shape[-1]))
        if causal:
            s = s.masked_fill(~torch.ones(s.shape[-2], s.shape[-1], dtype=torch.bool).tril(), float("-inf"))
        if mask is not None:
            s = s.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else s + mask
        return torch.softmax(s, -1) @ v

    cases.append(make_case("sdpa/plain", "sdpa", [In(uniform((2, 3, 4))), In(uniform((2, 5, 4))), In(uniform((2, 5, 3)))], sdpa))
    cases.append(make_case("sdpa/causal_4d", "sdpa", [In(uniform((1, 2, 4, 3))), In(uniform((1, 2, 4, 3))), In(uniform((1, 2, 4, 3)))],
                           lambda q, k, v: sdpa(q, k, v, causal=True), attrs={"isCausal": True}))
    keep = rng.integers(0, 2, size=(3, 5)).astype(bool)
    keep[:, 0] = True
    cases.append(make_case("sdpa/bool_mask_scale", "sdpa", [In(uniform((2, 3, 4))), In(uniform((2, 5, 4))), In(uniform((2, 5, 2))), In(keep, "bool")],
                           lambda q, k, v, m: sdpa(q, k, v, m, scale=0.3), attrs={"scale": 0.3}))
    cases.append(make_case("sdpa/float_mask", "sdpa", [In(uniform((3, 4))), In(uniform((3, 4))), In(uniform((3, 4))), In(uniform((3, 3)), grad=False)],
                           lambda q, k, v, m: sdpa(q, k, v, m)))

    pad = np.array([[False, False, False, True], [False, False, False, False]])
    cases.append(module_case("MultiheadAttention/batch_first_self_key_padding", "mha", torch.nn.MultiheadAttention(8, 2, batch_first=True), MHA_PARAMS,
                             [In(uniform((2, 4, 8))), In(pad, "bool")],
                             lambda m, x, kp: m(x, x, x, key_padding_mask=kp), attrs={"embedDim": 8, "numHeads": 2, "batchFirst": True, "self": True}))
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    cases.append(module_case("MultiheadAttention/seq_first_causal_bool_mask", "mha", torch.nn.MultiheadAttention(6, 3), MHA_PARAMS,
                             [In(uniform((3, 2, 6))), In(causal, "bool")],
                             lambda m, x, am: m(x, x, x, attn_mask=am, average_attn_weights=False),
                             attrs={"embedDim": 6, "numHeads": 3, "batchFirst": False, "self": True, "perHead": True}))
    cases.append(module_case("MultiheadAttention/cross_float_mask", "mha_cross", torch.nn.MultiheadAttention(4, 2, batch_first=True), MHA_PARAMS,
                             [In(uniform((2, 3, 4))), In(uniform((2, 5, 4))), In(uniform((2, 5, 4))), In(uniform((3, 5)), grad=False)],
                             lambda m, q, k, v, am: m(q, k, v, attn_mask=am), attrs={"embedDim": 4, "numHeads": 2, "batchFirst": True}))
    layer = lambda cls, **kw: cls(8, 2, dim_feedforward=12, dropout=0.0, batch_first=True, **kw)
    cases.append(module_case("TransformerEncoderLayer/post_norm_relu_padding", "encoderLayer", layer(torch.nn.TransformerEncoderLayer), ENCODER_PARAMS,
                             [In(uniform((2, 4, 8))), In(pad, "bool")], lambda m, x, kp: m(x, src_key_padding_mask=kp),
                             attrs={"normFirst": False, "activation": "relu"}))
    cases.append(module_case("TransformerEncoderLayer/pre_norm_gelu_causal", "encoderLayer", layer(torch.nn.TransformerEncoderLayer, activation="gelu", norm_first=True),
                             ENCODER_PARAMS, [In(uniform((2, 3, 8))), In(causal, "bool")], lambda m, x, am: m(x, src_mask=am),
                             attrs={"normFirst": True, "activation": "gelu", "mask": True}))
    cases.append(module_case("TransformerDecoderLayer/post_norm_causal", "decoderLayer", layer(torch.nn.TransformerDecoderLayer), DECODER_PARAMS,
                             [In(uniform((2, 3, 8))), In(uniform((2, 4, 8))), In(causal, "bool")], lambda m, t, mem, tm: m(t, mem, tgt_mask=tm),
                             attrs={"normFirst": False, "activation": "relu"}))
    return cases


def layer_cases():
    """Conv1d, ConvTranspose2d, GroupNorm, BatchNorm1d, interpolate and Embedding(paddingIdx), against torch."""
    cases = []

    def conv1(label, xs, ws, bias=True, **kw):
        ins = [In(uniform(xs, -1, 1)), In(uniform(ws, -1, 1))] + ([In(uniform((ws[0],), -1, 1))] if bias else [])
        cases.append(make_case(f"conv1d/{label}", "conv1d", ins, lambda x, w, b=None: F.conv1d(x, w, b, **kw), attrs=kw))

    conv1("basic", (2, 3, 7), (4, 3, 3))
    conv1("stride2_pad1_dil2", (1, 2, 9), (3, 2, 3), stride=2, padding=1, dilation=2)
    conv1("groups2_no_bias", (2, 4, 6), (6, 2, 2), bias=False, groups=2)

    def convt(label, xs, ws, bias=True, **kw):
        ins = [In(uniform(xs, -1, 1)), In(uniform(ws, -1, 1))] + ([In(uniform((ws[1] * kw.get("groups", 1),), -1, 1))] if bias else [])
        tkw = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
        attrs = {{"output_padding": "outputPadding"}.get(k, k): v for k, v in kw.items()}
        cases.append(make_case(f"convTranspose2d/{label}", "convTranspose2d", ins, lambda x, w, b=None: F.conv_transpose2d(x, w, b, **tkw), attrs=attrs))

    convt("basic", (2, 3, 4, 4), (3, 2, 3, 3))
    convt("stride2_pad1_outpad1", (1, 2, 3, 4), (2, 3, 3, 3), stride=2, padding=1, output_padding=1)
    convt("stride_hw_dilation", (1, 2, 3, 3), (2, 2, 2, 3), stride=[2, 1], padding=[0, 1], dilation=2)
    convt("groups2_no_bias", (1, 4, 3, 3), (4, 1, 2, 2), bias=False, groups=2, stride=2)

    cases.append(make_case("groupNorm/4d", "groupNorm", [In(uniform((2, 6, 3, 2))), In(uniform((6,), 0.5, 1.5)), In(uniform((6,)))],
                           lambda x, w, b: F.group_norm(x, 3, w, b), attrs={"numGroups": 3}))
    cases.append(make_case("groupNorm/3d_no_affine_eps", "groupNorm", [In(uniform((2, 4, 5)))], lambda x: F.group_norm(x, 2, eps=1e-3),
                           attrs={"numGroups": 2, "eps": 1e-3}))
    for label, shape in (("2d", (5, 3)), ("3d", (4, 3, 2))):
        cases.append(module_case(f"BatchNorm1d/train_{label}", "batchNorm1d", torch.nn.BatchNorm1d(3), [("weight", "weight"), ("bias", "bias")],
                                 [In(uniform(shape))], lambda m, x: m(x), attrs={"numFeatures": 3}))

    for label, shape, kw in (
        ("nearest_scale2", (1, 2, 2, 3), {"scale_factor": 2, "mode": "nearest"}),
        ("nearest_size", (1, 1, 3, 4), {"size": (5, 3), "mode": "nearest"}),
        ("bilinear_size", (1, 2, 3, 3), {"size": (5, 4), "mode": "bilinear", "align_corners": False}),
        ("bilinear_align_corners", (2, 1, 3, 4), {"size": (4, 7), "mode": "bilinear", "align_corners": True}),
        ("bilinear_scale_1.5", (1, 1, 4, 4), {"scale_factor": 1.5, "mode": "bilinear", "align_corners": False}),
        ("linear_1d", (1, 2, 5), {"size": 8, "mode": "linear", "align_corners": False}),
        ("nearest_1d_downsample", (1, 1, 7), {"size": 3, "mode": "nearest"}),
    ):
        attrs = {"size": list(kw["size"]) if isinstance(kw.get("size"), tuple) else kw.get("size"), "scaleFactor": kw.get("scale_factor"),
                 "mode": kw["mode"], "alignCorners": kw.get("align_corners")}
        cases.append(make_case(f"interpolate/{label}", "interpolate", [In(uniform(shape))], lambda x, kw=kw: F.interpolate(x, **kw), attrs=attrs))

    idx = np.array([[0, 2, 1], [2, 2, 3]])
    cases.append(module_case("Embedding/padding_idx", "embeddingPadding", torch.nn.Embedding(4, 3, padding_idx=2), [("weight", "weight")],
                             [In(idx, "int32")], lambda m, i: m(i), attrs={"numEmbeddings": 4, "dim": 3, "paddingIdx": 2}))
    return cases


def view_cases():
    """Ops fed non-contiguous views (transposed, permuted, sliced, expanded), where stride handling bites."""
    cases = []
    cases.append(make_case("view/matmul_transposed_operand", "view_matmul_bt", [In(uniform((3, 4))), In(uniform((5, 4)))],
                           lambda a, b: a @ b.t()))
    cases.append(make_case("view/softmax_of_transposed", "view_softmax_t", [In(uniform((4, 3), -3, 3))], lambda x: F.softmax(x.t(), -1)))
    cases.append(make_case("view/sum_of_permuted", "view_sum_permuted", [In(uniform((2, 3, 4)))], lambda x: x.permute(2, 0, 1).sum(1)))
    cases.append(make_case("view/add_of_two_slices", "view_add_slices", [In(uniform((2, 6)))], lambda x: x[:, 0:3] + x[:, 3:6] * 2))
    cases.append(make_case("view/conv2d_of_sliced_input", "view_conv_sliced", [In(uniform((1, 2, 5, 8), -1, 1)), In(uniform((3, 2, 3, 3), -1, 1))],
                           lambda x, w: F.conv2d(x[:, :, :, 1:7], w, padding=1)))
    cases.append(make_case("view/maxPool2d_of_permuted", "view_maxpool_permuted", [In(distinct((1, 2, 6, 4)))],
                           lambda x: F.max_pool2d(x.permute(0, 1, 3, 2), 2)))
    cases.append(make_case("view/mean_of_expanded", "view_mean_expanded", [In(uniform((3, 1)))], lambda x: x.expand(3, 4).mean(0)))
    cases.append(make_case("view/cat_of_transposed", "view_cat_transposed", [In(uniform((3, 2))), In(uniform((1, 3)))],
                           lambda a, b: torch.cat([a.t(), b], 0)))
    cases.append(make_case("view/layerNorm_forward_of_transposed", "view_layernorm_t", [In(uniform((4, 3)), grad=False)],
                           lambda x: F.layer_norm(x.t(), [4]), forward_only=True))
    cases.append(make_case("view/linear_of_sliced_rows", "view_linear_step", [In(uniform((6, 3))), In(uniform((2, 3))), In(uniform((2,)))],
                           lambda x, w, b: F.linear(x[::2], w, b)))
    cases.append(make_case("view/gatherElements_of_transposed", "view_gather_elements_t", [In(uniform((4, 3))), In(integers((3, 2), 0, 4), "int32")],
                           lambda x, i: torch.gather(x.t(), 1, i)))
    return cases


# ---------------------------------------------------------------- optimisers and schedulers

STEPS = 5


def optimizer_case(name, kind, options, torch_factory, schedule=None):
    shapes = [(3,), (2, 2)]
    init = [uniform(s, -1, 1) for s in shapes]
    grads = [[uniform(s, -1, 1) for s in shapes] for _ in range(STEPS)]
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in init]
    opt = torch_factory(params)
    sched = schedule[1](opt) if schedule else None
    after = []
    for step in range(STEPS):
        for p, g in zip(params, grads[step]):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        if sched:
            sched.step()
        after.append([rounded(p.detach().numpy()) for p in params])
    case = {
        "name": name, "optimizer": kind, "options": options,
        "params": [{"shape": list(s), "values": rounded(v)} for s, v in zip(shapes, init)],
        "grads": [[rounded(g) for g in step] for step in grads],
        "paramsAfterStep": after,
    }
    if schedule:
        case["scheduler"] = schedule[0]
    return case


def optimizer_cases():
    O = torch.optim
    return [
        optimizer_case("SGD/plain", "SGD", {"lr": 0.1}, lambda p: O.SGD(p, lr=0.1)),
        optimizer_case("SGD/momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, lambda p: O.SGD(p, lr=0.05, momentum=0.9)),
        optimizer_case("SGD/momentum_dampening", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
                       lambda p: O.SGD(p, lr=0.05, momentum=0.8, dampening=0.3)),
        optimizer_case("SGD/nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True},
                       lambda p: O.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
        optimizer_case("SGD/weight_decay", "SGD", {"lr": 0.1, "weightDecay": 0.05}, lambda p: O.SGD(p, lr=0.1, weight_decay=0.05)),
        optimizer_case("SGD/momentum_weight_decay_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "weightDecay": 0.01, "nesterov": True},
                       lambda p: O.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True)),
        optimizer_case("Adam/defaults_lr", "Adam", {"lr": 0.01}, lambda p: O.Adam(p, lr=0.01)),
        optimizer_case("Adam/betas_eps", "Adam", {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6},
                       lambda p: O.Adam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-6)),
        optimizer_case("Adam/weight_decay", "Adam", {"lr": 0.01, "weightDecay": 0.1}, lambda p: O.Adam(p, lr=0.01, weight_decay=0.1)),
        optimizer_case("AdamW/default_decay", "AdamW", {"lr": 0.01}, lambda p: O.AdamW(p, lr=0.01)),
        optimizer_case("AdamW/decay_0.2", "AdamW", {"lr": 0.02, "weightDecay": 0.2, "betas": [0.85, 0.99]},
                       lambda p: O.AdamW(p, lr=0.02, weight_decay=0.2, betas=(0.85, 0.99))),
        optimizer_case("SGD/momentum_with_StepLR", "SGD", {"lr": 0.1, "momentum": 0.5}, lambda p: O.SGD(p, lr=0.1, momentum=0.5),
                       schedule=({"kind": "StepLR", "stepSize": 2, "gamma": 0.5}, lambda o: O.lr_scheduler.StepLR(o, 2, 0.5))),
        optimizer_case("Adam/with_CosineAnnealingLR", "Adam", {"lr": 0.05}, lambda p: O.Adam(p, lr=0.05),
                       schedule=({"kind": "CosineAnnealingLR", "tMax": 4, "etaMin": 0.001}, lambda o: O.lr_scheduler.CosineAnnealingLR(o, 4, 0.001))),
        # Added for PyTorch parity (issue 12); appended so the earlier cases keep their random values.
        optimizer_case("RMSprop/defaults_lr", "RMSprop", {"lr": 0.01}, lambda p: O.RMSprop(p, lr=0.01)),
        optimizer_case("RMSprop/momentum_centered_decay", "RMSprop", {"lr": 0.02, "alpha": 0.9, "momentum": 0.8, "centered": True, "weightDecay": 0.05},
                       lambda p: O.RMSprop(p, lr=0.02, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.05)),
        optimizer_case("Adagrad/defaults_lr", "Adagrad", {"lr": 0.1}, lambda p: O.Adagrad(p, lr=0.1)),
        optimizer_case("Adagrad/lr_decay_init_acc_decay", "Adagrad", {"lr": 0.1, "lrDecay": 0.1, "initialAccumulatorValue": 0.5, "weightDecay": 0.02},
                       lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5, weight_decay=0.02)),
        optimizer_case("SGD/param_groups", "SGD", {"lr": 0.1, "momentum": 0.9, "groups": [{"weightDecay": 0.1}, {"lr": 0.01, "momentum": 0.5}]},
                       lambda p: O.SGD([{"params": [p[0]], "weight_decay": 0.1}, {"params": [p[1]], "lr": 0.01, "momentum": 0.5}], lr=0.1, momentum=0.9)),
        optimizer_case("AdamW/param_groups_no_decay", "AdamW", {"lr": 0.02, "groups": [{"weightDecay": 0.0}, {"weightDecay": 0.3}]},
                       lambda p: O.AdamW([{"params": [p[0]], "weight_decay": 0.0}, {"params": [p[1]], "weight_decay": 0.3}], lr=0.02)),
        optimizer_case("SGD/momentum_with_OneCycleLR", "SGD", {"lr": 0.1, "momentum": 0.9}, lambda p: O.SGD(p, lr=0.1, momentum=0.9),
                       schedule=({"kind": "OneCycleLR", "maxLr": 0.5, "totalSteps": 6}, lambda o: O.lr_scheduler.OneCycleLR(o, 0.5, total_steps=6))),
        optimizer_case("Adam/with_OneCycleLR_betas", "Adam", {"lr": 0.01}, lambda p: O.Adam(p, lr=0.01),
                       schedule=({"kind": "OneCycleLR", "maxLr": 0.05, "totalSteps": 5}, lambda o: O.lr_scheduler.OneCycleLR(o, 0.05, total_steps=5))),
    ]


def scheduler_case(name, spec, base_lr, make, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(float(f"{opt.param_groups[0]['lr']:.12g}"))
    return {"name": name, "scheduler": spec, "baseLr": base_lr, "lrAfterStep": lrs}


def scheduler_cases():
    S = torch.optim.lr_scheduler
    return [
        scheduler_case("StepLR/step3_gamma0.1", {"kind": "StepLR", "stepSize": 3, "gamma": 0.1}, 0.5, lambda o: S.StepLR(o, 3, 0.1), 10),
        scheduler_case("StepLR/step1_gamma0.9", {"kind": "StepLR", "stepSize": 1, "gamma": 0.9}, 0.2, lambda o: S.StepLR(o, 1, 0.9), 6),
        scheduler_case("CosineAnnealingLR/tmax10", {"kind": "CosineAnnealingLR", "tMax": 10, "etaMin": 0.0}, 0.1,
                       lambda o: S.CosineAnnealingLR(o, 10), 10),
        scheduler_case("CosineAnnealingLR/tmax5_etamin", {"kind": "CosineAnnealingLR", "tMax": 5, "etaMin": 0.01}, 0.3,
                       lambda o: S.CosineAnnealingLR(o, 5, 0.01), 5),
        scheduler_case("CosineAnnealingLR/past_tmax", {"kind": "CosineAnnealingLR", "tMax": 4, "etaMin": 0.01}, 0.2,
                       lambda o: S.CosineAnnealingLR(o, 4, 0.01), 10),
        scheduler_case("MultiStepLR/milestones_2_5", {"kind": "MultiStepLR", "milestones": [2, 5], "gamma": 0.5}, 0.4,
                       lambda o: S.MultiStepLR(o, [2, 5], 0.5), 8),
        scheduler_case("ExponentialLR/gamma0.8", {"kind": "ExponentialLR", "gamma": 0.8}, 0.3, lambda o: S.ExponentialLR(o, 0.8), 6),
        scheduler_case("LambdaLR/inverse_sqrt_warmup", {"kind": "LambdaLR", "fn": "inverse_sqrt_warmup"}, 0.1,
                       lambda o: S.LambdaLR(o, lambda e: min((e + 1) / 3, 3 ** 0.5 / (e + 1) ** 0.5)), 8),
        scheduler_case("LinearLR/warmup", {"kind": "LinearLR", "startFactor": 0.25, "endFactor": 1.0, "totalIters": 4}, 0.2,
                       lambda o: S.LinearLR(o, 0.25, 1.0, 4), 7),
        scheduler_case("LinearLR/decay", {"kind": "LinearLR", "startFactor": 1.0, "endFactor": 0.1, "totalIters": 5}, 0.5,
                       lambda o: S.LinearLR(o, 1.0, 0.1, 5), 7),
        scheduler_case("SequentialLR/warmup_then_cosine", {"kind": "SequentialLR", "milestones": [3]}, 0.2,
                       lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, 1.0, 3), S.CosineAnnealingLR(o, 6, 0.01)], [3]), 10),
        scheduler_case("OneCycleLR/cos_total10", {"kind": "OneCycleLR", "maxLr": 1.0, "totalSteps": 10}, 0.1,
                       lambda o: S.OneCycleLR(o, 1.0, total_steps=10), 9),
        scheduler_case("OneCycleLR/linear_three_phase", {"kind": "OneCycleLR", "maxLr": 0.5, "totalSteps": 12, "annealStrategy": "linear", "threePhase": True,
                       "pctStart": 0.25}, 0.1,
                       lambda o: S.OneCycleLR(o, 0.5, total_steps=12, anneal_strategy="linear", three_phase=True, pct_start=0.25), 11),
        plateau_case(),
    ]


def plateau_case():
    """ReduceLROnPlateau fed a fixed metric sequence (it is stepped with the metric, not per epoch)."""
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.89, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6]
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.5)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=0.05, cooldown=1, min_lr=0.07)
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(float(f"{opt.param_groups[0]['lr']:.12g}"))
    spec = {"kind": "ReduceLROnPlateau", "factor": 0.5, "patience": 2, "threshold": 0.05, "cooldown": 1, "minLr": 0.07, "metrics": metrics}
    return {"name": "ReduceLROnPlateau/min_patience2_cooldown", "scheduler": spec, "baseLr": 0.5, "lrAfterStep": lrs}


# ---------------------------------------------------------------- output

def write(name, payload):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    return os.path.getsize(path)


def added_op_cases():
    """Ops added one at a time after the parity work (each: a HAL definition, a gradient rule, kernels where wanted)."""
    return [
        make_case("softplus/3x4", "softplus", [In(uniform((3, 4), -4, 4))], lambda x: F.softplus(x), attrs={"beta": 1}),
        make_case("softplus/beta2_wide", "softplus", [In(uniform((2, 5), -30, 30))], lambda x: F.softplus(x, beta=2.0), attrs={"beta": 2}),
    ]


def sorting_cases():
    """sort/argsort/topk at torch's edges: NaN (largest), infinities, signed zeros, ties (stable), integers, long rows."""
    nan, inf = float("nan"), float("inf")
    special = np.array([2.0, nan, 1.0, 2.0, inf, -inf, nan, 1.0, -0.0, 0.0, inf])
    ties = rng.integers(-3, 4, size=(3, 37)).astype(np.float64)
    long_row = np.round(rng.integers(-40, 40, size=(2, 300)) * 0.25, 4)
    cases = []
    for desc in (False, True):
        how = "descending" if desc else "ascending"
        cases.append(make_case(f"sort/specials_{how}", "sort", [In(special)], lambda x, d=desc: torch.sort(x, dim=0, descending=d, stable=True),
                               attrs={"dim": 0, "descending": desc}))
        cases.append(make_case(f"sort/ties_{how}", "sort", [In(ties)], lambda x, d=desc: torch.sort(x, dim=1, descending=d, stable=True),
                               attrs={"dim": 1, "descending": desc}))
        cases.append(make_case(f"sort/long_rows_{how}", "sort", [In(long_row)], lambda x, d=desc: torch.sort(x, dim=-1, descending=d, stable=True),
                               attrs={"dim": -1, "descending": desc}))
        cases.append(make_case(f"sort/int32_{how}", "sort", [In(integers((4, 9), -5, 5), "int32")],
                               lambda x, d=desc: torch.sort(x, dim=1, descending=d, stable=True), attrs={"dim": 1, "descending": desc}))
    cases.append(make_case("sort/dim0_3d_ties", "sort", [In(rng.integers(-2, 3, size=(6, 2, 3)).astype(np.float64))],
                           lambda x: torch.sort(x, dim=0, stable=True), attrs={"dim": 0, "descending": False}))
    cases.append(make_case("argsort/specials_descending", "argsort", [In(special.reshape(1, -1))],
                           lambda x: torch.sort(x, dim=1, descending=True, stable=True)[1], attrs={"dim": 1, "descending": True}))
    # topk's order among equal values is torch's choice, not a contract: these rows have no ties (one NaN at most).
    with_nan = distinct((3, 8))
    with_nan[1, 5] = nan
    with_nan[2, 0] = -inf
    cases.append(make_case("topk/k3_largest_nan_inf", "topk", [In(with_nan)], lambda x: torch.topk(x, 3, 1), attrs={"k": 3, "dim": 1, "largest": True}))
    cases.append(make_case("topk/k3_smallest_nan_inf", "topk", [In(with_nan)], lambda x: torch.topk(x, 3, 1, largest=False),
                           attrs={"k": 3, "dim": 1, "largest": False}))
    cases.append(make_case("topk/k5_of_200_dim0", "topk", [In(distinct((200, 2)))], lambda x: torch.topk(x, 5, 0), attrs={"k": 5, "dim": 0, "largest": True}))
    cases.append(make_case("topk/k0", "topk", [In(distinct((2, 4)))], lambda x: torch.topk(x, 0, 1), attrs={"k": 0, "dim": 1, "largest": True}))
    return cases


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    meta = {"torch": torch.__version__, "numpy": np.__version__}
    groups = {
        "elementwise": elementwise_cases, "reduce": reduce_cases, "linalg": linalg_cases, "conv": conv_cases,
        "pool": pool_cases, "nn": nn_cases, "indexing": indexing_cases, "shape": shape_cases, "loss": loss_cases, "views": view_cases,
    }
    total = 0
    count = 0
    for group, build in groups.items():
        cases = build()
        count += len(cases)
        total += write(f"ops-{group}.json", {**meta, "cases": cases})
    opt = optimizer_cases()
    sch = scheduler_cases()
    total += write("optimizers.json", {**meta, "cases": opt})
    # Groups added for PyTorch parity (issue 12): drawn after the files above, so those keep their values.
    for group, build in {"parity-loss": parity_loss_cases, "parity-ops": parity_op_cases, "parity-attention": attention_cases, "parity-layers": layer_cases}.items():
        cases = build()
        count += len(cases)
        total += write(f"ops-{group}.json", {**meta, "cases": cases})
    total += write("schedulers.json", {**meta, "cases": sch})
    added = added_op_cases()
    count += len(added)
    total += write("ops-added.json", {**meta, "cases": added})
    sorting = sorting_cases()
    count += len(sorting)
    total += write("ops-sorting.json", {**meta, "cases": sorting})
    count += len(opt) + len(sch)
    print(f"wrote {count} cases, {total / 1024:.0f} KiB, torch {torch.__version__}")


if __name__ == "__main__":
    main()
