"""Writes fixtures/dynamic-hw.onnx: a small CNN whose height and width are symbolic, and
fixtures/data-if.onnx: an If whose condition is computed from an input's value, and
fixtures/data-range.onnx: a Range whose limit is an input.

Run with Debian's python3-onnx: /usr/bin/python3 scripts/make-dynamic-fixtures.py
It holds the patterns that broke on guessed dims: a stride-2 conv, a Resize by scales, a
GlobalAveragePool, and a Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain whose target
depends on the input's height and width. Tests compare it with onnxruntime-node.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(graph, name):
    """Checks an opset-13 model of `graph` and writes it to fixtures/<name>."""
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="polychip-fixture")
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    out = os.path.join(HERE, "../fixtures", name)
    onnx.save(model, out)
    print(out, os.path.getsize(out), "bytes")


rng = np.random.default_rng(7)
w = numpy_helper.from_array((rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32), "w")
b = numpy_helper.from_array((rng.standard_normal(4) * 0.1).astype(np.float32), "b")
scales = numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales")
i0 = numpy_helper.from_array(np.array(0, dtype=np.int64), "i0")
i1 = numpy_helper.from_array(np.array(1, dtype=np.int64), "i1")
minus1 = numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus1")
axes0 = numpy_helper.from_array(np.array([0], dtype=np.int64), "axes0")

nodes = [
    helper.make_node("Conv", ["x", "w", "b"], ["conv"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["conv"], ["act"]),
    helper.make_node("Resize", ["act", "", "scales"], ["up"], mode="linear"),
    helper.make_node("GlobalAveragePool", ["up"], ["gap"]),
    # [N, C] from the conv's run-time shape.
    helper.make_node("Shape", ["act"], ["shape"]),
    helper.make_node("Gather", ["shape", "i0"], ["n"], axis=0),
    helper.make_node("Gather", ["shape", "i1"], ["c"], axis=0),
    helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"]),
    helper.make_node("Unsqueeze", ["c", "axes0"], ["c1"]),
    helper.make_node("Concat", ["n1", "c1"], ["nc"], axis=0),
    helper.make_node("Reshape", ["gap", "nc"], ["pooled"]),
    # [N, C, H/2 * W/2]: a target with -1 after the symbolic dims.
    helper.make_node("Concat", ["n1", "c1", "minus1"], ["ncx"], axis=0),
    helper.make_node("Reshape", ["act", "ncx"], ["flat"]),
    helper.make_node("ReduceMax", ["flat"], ["peak"], axes=[2], keepdims=0),
    helper.make_node("Add", ["pooled", "peak"], ["y"]),
]
graph = helper.make_graph(
    nodes, "dynamic_hw",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]),
     helper.make_tensor_value_info("up", TensorProto.FLOAT, [1, 4, None, None])],
    [w, b, scales, i0, i1, minus1, axes0],
)
save(graph, "dynamic-hw.onnx")

# data-if.onnx: like a voice-activity model's If on its sample-rate input. The condition
# Equal(rate, 16000) is known only from the data: 16 kHz takes exp(x)·0.5 + 1, any other rate
# tanh(x) − 1, each an elementwise chain that compiles to one fused kernel.
then_g = helper.make_graph(
    [helper.make_node("Exp", ["x"], ["e"]), helper.make_node("Mul", ["e", "half"], ["h"]), helper.make_node("Add", ["h", "one"], ["t"])],
    "then_16k", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)],
)
else_g = helper.make_graph(
    [helper.make_node("Tanh", ["x"], ["th"]), helper.make_node("Sub", ["th", "one"], ["f"])],
    "else_other", [], [helper.make_tensor_value_info("f", TensorProto.FLOAT, None)],
)
if_graph = helper.make_graph(
    [
        helper.make_node("Equal", ["rate", "khz16"], ["is16k"]),
        helper.make_node("If", ["is16k"], ["y"], then_branch=then_g, else_branch=else_g),
    ],
    "data_if",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "n"]), helper.make_tensor_value_info("rate", TensorProto.INT64, [])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "n"])],
    [
        numpy_helper.from_array(np.array(16000, dtype=np.int64), "khz16"),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
    ],
)
save(if_graph, "data-if.onnx")

# data-range.onnx: Range(0, limit, 1) with the limit read from an input: its output's size is the
# data's, which no branch enumeration can fix (compile asks for --input).
range_graph = helper.make_graph(
    [helper.make_node("Range", ["zero_i", "limit", "one_i"], ["y"])],
    "data_range",
    [helper.make_tensor_value_info("limit", TensorProto.INT64, [])],
    [helper.make_tensor_value_info("y", TensorProto.INT64, ["n"])],
    [numpy_helper.from_array(np.array(0, dtype=np.int64), "zero_i"), numpy_helper.from_array(np.array(1, dtype=np.int64), "one_i")],
)
save(range_graph, "data-range.onnx")
