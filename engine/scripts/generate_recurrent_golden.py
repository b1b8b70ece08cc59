#!/usr/bin/env python3
"""Writes PyTorch golden values for the engine's recurrent layers (LSTM, GRU, RNN and their cells).

Run from the repository root with Debian's python3-torch:
    /usr/bin/python3 engine/scripts/generate_recurrent_golden.py

Each case holds the layer's configuration, its parameters by PyTorch name (random, rounded so
float32 and float64 see the same numbers), the inputs, the float64 outputs and the gradients of
sum(output * w_out) + sum(h_n * w_h) (+ sum(c_n * w_c)) w.r.t. the inputs and every parameter.
The file lands in engine/fixtures/golden/recurrent.json; the engine's tests never need Python.
"""
import json
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "golden", "recurrent.json")
rng = np.random.default_rng(20261206)


def values(shape, lo=-1.0, hi=1.0):
    return np.round(rng.uniform(lo, hi, size=shape), 4)


def flat(t):
    return [float(f"{float(v):.9g}") for v in t.detach().reshape(-1).tolist()]


def array(t):
    return {"shape": list(t.shape), "values": flat(t)}


def make_layer(kind, config):
    common = dict(bias=config["bias"])
    if kind in ("LSTM", "GRU", "RNN"):
        common.update(num_layers=config["numLayers"], batch_first=config["batchFirst"], bidirectional=config["bidirectional"])
    if kind in ("RNN", "RNNCell"):
        common.update(nonlinearity=config.get("nonlinearity", "tanh"))
    return getattr(torch.nn, kind)(config["inputSize"], config["hiddenSize"], **common).double()


def case(name, kind, config, seq, batch, with_state):
    layer = make_layer(kind, config)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.from_numpy(values(tuple(p.shape), -0.6, 0.6)))
    cell = kind.endswith("Cell")
    hidden = config["hiddenSize"]
    directions = 2 if config.get("bidirectional") else 1
    if cell:
        x_shape = (batch, config["inputSize"])
        state_shape = (batch, hidden)
    else:
        x_shape = (batch, seq, config["inputSize"]) if config["batchFirst"] else (seq, batch, config["inputSize"])
        state_shape = (config["numLayers"] * directions, batch, hidden)
    x = torch.from_numpy(values(x_shape, -1.5, 1.5)).requires_grad_()
    lstm = kind.startswith("LSTM")
    inputs = {"x": x}
    if with_state:
        inputs["h0"] = torch.from_numpy(values(state_shape)).requires_grad_()
        if lstm:
            inputs["c0"] = torch.from_numpy(values(state_shape)).requires_grad_()
    state = None
    if with_state:
        state = (inputs["h0"], inputs["c0"]) if lstm else inputs["h0"]
    result = layer(x, state) if state is not None else layer(x)
    if cell:
        outputs = {"h": result[0], "c": result[1]} if lstm else {"h": result}
    else:
        out, final = result
        outputs = {"output": out, "h": final[0], "c": final[1]} if lstm else {"output": out, "h": final}
    weights = {k: torch.from_numpy(values(tuple(v.shape))) for k, v in outputs.items()}
    loss = sum((v * weights[k]).sum() for k, v in outputs.items())
    loss.backward()
    return {
        "name": name,
        "kind": kind,
        "config": config,
        "parameters": {n: array(p) for n, p in layer.named_parameters()},
        "inputs": {k: array(v) for k, v in inputs.items()},
        "outputs": {k: array(v) for k, v in outputs.items()},
        "weights": {k: flat(v) for k, v in weights.items()},
        "grads": {**{k: flat(v.grad) for k, v in inputs.items()}, **{n: flat(p.grad) for n, p in layer.named_parameters()}},
    }


def main():
    torch.manual_seed(0)
    base = dict(inputSize=3, hiddenSize=4, bias=True, numLayers=1, batchFirst=False, bidirectional=False)
    deep = dict(base, numLayers=2, bidirectional=True, batchFirst=True)
    cases = []
    for kind in ("LSTM", "GRU", "RNN"):
        cases.append(case(f"{kind} one layer, zero initial state", kind, base, 4, 2, False))
        cases.append(case(f"{kind} two layers, bidirectional, batchFirst, initial state", kind, deep, 4, 2, True))
        cases.append(case(f"{kind} without bias", kind, dict(base, bias=False), 3, 2, True))
    cases.append(case("RNN relu, bidirectional", "RNN", dict(base, bidirectional=True, nonlinearity="relu"), 3, 2, True))
    cell = dict(inputSize=3, hiddenSize=4, bias=True)
    for kind in ("LSTMCell", "GRUCell", "RNNCell"):
        cases.append(case(f"{kind} with state", kind, cell, 1, 3, True))
    cases.append(case("RNNCell relu without bias", "RNNCell", dict(cell, bias=False, nonlinearity="relu"), 1, 3, True))
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
