"""Writes the legacy-opset fixtures: the shared ONNX node tests converted down to opsets 1 and 6.

Run with Debian's python3-onnx (onnx 1.12):
    /usr/bin/python3 scripts/convert-legacy-opsets.py [CORPUS] [OUT]
CORPUS defaults to ../../../shared/conformance/onnx-node, OUT to conformance/legacy-opsets.

Each test is first offered to onnx.version_converter. Its 1.12 adapters stop at the first op
version they do not know (most of the corpus is opset 13+), so a test it refuses is rewritten
here instead, using only the forms the older opset's schemas define: inputs that moved from
attributes go back to attributes (Reshape, Squeeze/Unsqueeze, ReduceX, Split, Slice, Pad, Clip,
TopK), binary ops get broadcast=1 (and an axis where suffix matching does not apply),
BatchNormalization/Dropout get is_test=1 and consumed_inputs, Cast-1 gets a type name. A node
whose op has no schema at the target, a form that has no old equivalent (Slice steps,
Softmax on an axis the 2-D coercion would change) or a model that fails onnx.checker is left
out. The expected outputs are the originals: a conversion only renames the same computation.
Only small tests are kept (the committed fixtures stay around a few MB).
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import defs, helper, numpy_helper, version_converter

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared/conformance/onnx-node")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../conformance/legacy-opsets")
TARGETS = [1, 6]
MAX_TEST_BYTES = 64 * 1024

BINARY = {"Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less"}
REDUCE = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
          "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"}
TYPE_NAMES = {v: k for k, v in onnx.TensorProto.DataType.items()}


class Refused(Exception):
    pass


def schema(op, version):
    try:
        return defs.get_schema(op, version)
    except Exception:
        raise Refused(f"{op} has no schema at opset {version}")


def try_version_converter(model, target, path):
    """onnx.version_converter in a child process: it aborts the interpreter on some models."""
    pid = os.fork()
    if pid == 0:
        try:
            converted = version_converter.convert_version(model, target)
            onnx.checker.check_model(converted, full_check=True)
            onnx.save(converted, path)
            os._exit(0)
        except Exception:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return status == 0


class Rewriter:
    def __init__(self, model, inputs, target):
        self.model = onnx.ModelProto()
        self.model.CopyFrom(model)
        self.graph = self.model.graph
        self.target = target
        self.inputs = dict(inputs)  # graph input name -> test value
        self.consts = {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}
        self.shapes = {}
        inferred = onnx.shape_inference.infer_shapes(model)
        for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
            dims = v.type.tensor_type.shape.dim
            if all(d.HasField("dim_value") for d in dims):
                self.shapes[v.name] = [d.dim_value for d in dims]
        self.absorbed = set()  # graph inputs that became attributes

    def value(self, name, what):
        if name in self.consts:
            return self.consts[name]
        if name in self.inputs:
            self.absorbed.add(name)
            return self.inputs[name]
        raise Refused(f"{what} '{name}' is computed at run time")

    def move_to_attrs(self, node, names):
        """Inputs 1.. named `names` become int/ints attributes (absent inputs stay absent)."""
        for i, attr in enumerate(names, start=1):
            if i < len(node.input) and node.input[i]:
                values = self.value(node.input[i], attr).flatten().tolist()
                node.attribute.append(helper.make_attribute(attr, values))
        del node.input[1:]

    def rewrite(self, node):
        op, t = node.op_type, self.target
        if op == "Constant":
            attrs = [a.name for a in node.attribute]
            if attrs != ["value"]:
                raise Refused("Constant with value_* attributes")
            self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif op == "Reshape" and t < 5:
            node.attribute.append(helper.make_attribute("shape", self.value(node.input[1], "shape").tolist()))
            del node.input[1:]
            if t < 5:
                node.attribute.append(helper.make_attribute("consumed_inputs", [0]))
        elif op in ("Squeeze", "Unsqueeze") or op in REDUCE:
            if len(node.input) > 1:
                self.move_to_attrs(node, ["axes"])
            if any(a.name == "noop_with_empty_axes" and a.i for a in node.attribute):
                raise Refused("noop_with_empty_axes")
            drop(node, "noop_with_empty_axes")
        elif op == "Split":
            if len(node.input) > 1:
                self.move_to_attrs(node, ["split"])
            drop(node, "num_outputs")
        elif op == "Slice":
            if len(node.input) > 4 and node.input[4] and any(v != 1 for v in self.value(node.input[4], "steps").flatten()):
                raise Refused("Slice steps")
            self.move_to_attrs(node, ["starts", "ends", "axes"])
        elif op == "Pad":
            pads = self.value(node.input[1], "pads").tolist()
            value = float(self.value(node.input[2], "value")) if len(node.input) > 2 and node.input[2] else 0.0
            if len(node.input) > 3 and node.input[3]:
                raise Refused("Pad axes")
            del node.input[1:]
            node.attribute.append(helper.make_attribute("paddings" if t < 2 else "pads", pads))
            node.attribute.append(helper.make_attribute("value", value))
        elif op == "Clip":
            for i, name in ((1, "min"), (2, "max")):
                if i < len(node.input) and node.input[i]:
                    node.attribute.append(helper.make_attribute(name, float(self.value(node.input[i], name))))
            del node.input[1:]
        elif op == "TopK":
            if any(a.name in ("largest", "sorted") and a.i != 1 for a in node.attribute):
                raise Refused("TopK largest/sorted")
            node.attribute.append(helper.make_attribute("k", int(self.value(node.input[1], "k").flatten()[0])))
            del node.input[1:]
            drop(node, "largest", "sorted")
        elif op in BINARY:
            a, b = (self.shapes.get(n) for n in node.input[:2])
            if a is None or b is None:
                raise Refused(f"{op} operand shapes unknown")
            if a != b:
                if len(b) > len(a) or any(x != y and y != 1 for x, y in zip(a[len(a) - len(b):], b)):
                    raise Refused(f"{op} {a} {b}: not a legacy (unidirectional) broadcast")
                node.attribute.append(helper.make_attribute("broadcast", 1))
        elif op in ("Softmax", "LogSoftmax", "Hardmax"):
            rank = len(self.shapes.get(node.input[0], []))
            axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
            if rank == 0 or axis not in (-1, rank - 1):
                raise Refused(f"{op} on axis {axis} of rank {rank}")
            drop(node, "axis")
            node.attribute.append(helper.make_attribute("axis", rank - 1))
        elif op == "BatchNormalization":
            if len(node.output) > 1 or any(a.name == "training_mode" and a.i for a in node.attribute):
                raise Refused("training-mode BatchNormalization")
            drop(node, "training_mode", "momentum")
            node.attribute.append(helper.make_attribute("is_test", 1))
            if t < 6:
                node.attribute.append(helper.make_attribute("consumed_inputs", [0, 0, 0, 1, 1]))
        elif op == "Dropout":
            if len(node.input) > 1:
                raise Refused("Dropout ratio/training_mode inputs")
            drop(node, "seed")
            node.attribute.append(helper.make_attribute("is_test", 1))
        elif op == "Cast" and t < 6:
            to = next(a.i for a in node.attribute if a.name == "to")
            drop(node, "to", "saturate")
            node.attribute.append(helper.make_attribute("to", TYPE_NAMES[to]))
        old = schema(op, t)
        allowed = set(old.attributes)
        for a in node.attribute:
            if a.name not in allowed:
                raise Refused(f"{op}-{old.since_version} has no attribute '{a.name}'")
        if len([i for i in node.input if i]) > old.max_input:
            raise Refused(f"{op}-{old.since_version} takes at most {old.max_input} inputs")
        if len(node.output) > old.max_output:
            raise Refused(f"{op}-{old.since_version} has at most {old.max_output} outputs")
        for name, a in old.attributes.items():
            if a.required and not any(x.name == name for x in node.attribute):
                raise Refused(f"{op}-{old.since_version} needs attribute '{name}'")

    def run(self):
        for node in self.graph.node:
            self.rewrite(node)
        kept = [v for v in self.graph.input if v.name not in self.absorbed]
        del self.graph.input[:]
        self.graph.input.extend(kept)
        del self.model.opset_import[:]
        self.model.opset_import.append(helper.make_opsetid("", self.target))
        self.model.ir_version = 3
        onnx.checker.check_model(self.model, full_check=True)
        return self.model


def drop(node, *names):
    kept = [a for a in node.attribute if a.name not in names]
    del node.attribute[:]
    node.attribute.extend(kept)


def test_inputs(test_dir, model):
    names = [v.name for v in model.graph.input if v.name not in {t.name for t in model.graph.initializer}]
    data_set = os.path.join(test_dir, "test_data_set_0")
    values = {}
    for i, name in enumerate(names):
        tensor = onnx.TensorProto()
        with open(os.path.join(data_set, f"input_{i}.pb"), "rb") as f:
            tensor.ParseFromString(f.read())
        values[name] = numpy_helper.to_array(tensor)
    return names, values


def write_test(dest, model, names, kept_names, test_dir):
    data_in = os.path.join(test_dir, "test_data_set_0")
    data_out = os.path.join(dest, "test_data_set_0")
    os.makedirs(data_out, exist_ok=True)
    onnx.save(model, os.path.join(dest, "model.onnx"))
    for k, name in enumerate(kept_names):
        shutil.copy(os.path.join(data_in, f"input_{names.index(name)}.pb"), os.path.join(data_out, f"input_{k}.pb"))
    for f in os.listdir(data_in):
        if f.startswith("output_"):
            shutil.copy(os.path.join(data_in, f), os.path.join(data_out, f))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    counts = {}
    for test in sorted(os.listdir(CORPUS)):
        test_dir = os.path.join(CORPUS, test)
        size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(test_dir) for f in fs)
        if size > MAX_TEST_BYTES or not os.path.isdir(os.path.join(test_dir, "test_data_set_0")):
            continue
        model = onnx.load(os.path.join(test_dir, "model.onnx"))
        if any(n.domain not in ("", "ai.onnx") for n in model.graph.node):
            continue
        names, values = test_inputs(test_dir, model)
        for target in TARGETS:
            dest = os.path.join(OUT, f"opset-{target}", test)
            os.makedirs(dest, exist_ok=True)
            how = "version_converter"
            if try_version_converter(model, target, os.path.join(dest, "model.onnx")):
                converted = onnx.load(os.path.join(dest, "model.onnx"))
            else:
                how = "rewrite"
                try:
                    converted = Rewriter(model, values, target).run()
                except (Refused, onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
                    shutil.rmtree(dest)
                    counts[(target, "refused")] = counts.get((target, "refused"), 0) + 1
                    continue
            kept = [v.name for v in converted.graph.input if v.name in names]
            write_test(dest, converted, names, kept, test_dir)
            counts[(target, how)] = counts.get((target, how), 0) + 1
    for k in sorted(counts, key=str):
        print(k, counts[k])


if __name__ == "__main__":
    main()
