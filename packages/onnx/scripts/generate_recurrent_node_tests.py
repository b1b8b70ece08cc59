#!/usr/bin/env python3
"""Writes ONNX's own backend node tests for LSTM, GRU and RNN (absent from the shared corpus).

Run from the repository root with Debian's python3-onnx (1.12):
    /usr/bin/python3 packages/onnx/scripts/generate_recurrent_node_tests.py

Only the recurrent case modules are imported (the full generator stops on an unrelated case under
numpy 1.24). Each test is written as the runner expects: <name>/model.onnx and
<name>/test_data_set_0/{input,output}_N.pb, under packages/onnx/fixtures/onnx-node-recurrent/.
Expected outputs are ONNX's numpy reference results.
"""
import inspect
import os
import shutil

import onnx
from onnx import numpy_helper
import onnx.backend.test.case.node as node_cases
from onnx.backend.test.case.node import gru, lstm, rnn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx-node-recurrent")


def main():
    for module in (lstm, gru, rnn):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for name, fn in inspect.getmembers(cls, inspect.isfunction):
                if name.startswith("export"):
                    fn()
    shutil.rmtree(OUT, ignore_errors=True)
    # Importing the case modules may already have run their exports: keep one case per name.
    cases = list({case.name: case for case in node_cases._NodeTestCases}.values())
    for case in cases:
        folder = os.path.join(OUT, case.name)
        os.makedirs(folder)
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            data = os.path.join(folder, f"test_data_set_{i}")
            os.makedirs(data)
            for kind, values, infos in (("input", inputs, case.model.graph.input), ("output", outputs, case.model.graph.output)):
                for j, value in enumerate(values):
                    with open(os.path.join(data, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(numpy_helper.from_array(value, infos[j].name).SerializeToString())
    print(f"wrote {len(cases)} tests to {os.path.relpath(OUT)} (onnx {onnx.__version__})")


if __name__ == "__main__":
    main()
