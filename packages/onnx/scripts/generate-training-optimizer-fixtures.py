"""Writes fixtures/training-optimizers-pytorch.json: PyTorch's optimisers stepping two tensors for
four steps on fixed gradients, for src/import/training-optimizers.test.ts, which runs the same
steps through ONNX's Adagrad, Adam and Momentum (ai.onnx.preview.training) and must match.

Where the two definitions meet (checked by reading both):
- Adagrad: torch's lr_decay and weight_decay are ONNX's decay_factor and norm_coefficient, and
  torch's step s (from 1) is ONNX's T = s - 1; eps is added after the square root in both.
- Adam: torch's betas are ONNX's alpha and beta, weight_decay its norm_coefficient, step s its
  T = s. torch adds eps to sqrt(v / (1 - beta2^s)), ONNX to sqrt(v), so only eps = 0 agrees.
- SGD with momentum (and nesterov): momentum is alpha, 1 - dampening is beta (the first step takes
  the whole gradient in both), T = s - 1.

Run with /usr/bin/python3 (torch 1.13) from packages/onnx:
python3 scripts/generate-training-optimizer-fixtures.py
"""
import json

import torch

STEPS = 4
SHAPES = [[3], [2, 2]]
LR = 0.05

torch.manual_seed(0)
INITIAL = [torch.randn(s) for s in SHAPES]
# Gradients per step and tensor, nudged away from 0 (Adam with eps 0 would divide 0 by 0).
GRADIENTS = [[torch.randn(s) + 0.2 * torch.sign(torch.randn(s)) for s in SHAPES] for _ in range(STEPS)]

CASES = [
    {
        "name": "Adagrad with lr_decay and weight_decay",
        "op": "Adagrad",
        "attrs": {"decay_factor": 0.3, "epsilon": 1e-3, "norm_coefficient": 0.05},
        "first_t": 0,
        "make": lambda ps: torch.optim.Adagrad(ps, lr=LR, lr_decay=0.3, weight_decay=0.05, eps=1e-3),
        "states": ["sum"],
    },
    {
        "name": "Adam with weight_decay and eps 0",
        "op": "Adam",
        "attrs": {"alpha": 0.8, "beta": 0.95, "epsilon": 0.0, "norm_coefficient": 0.02},
        "first_t": 1,
        "make": lambda ps: torch.optim.Adam(ps, lr=LR, betas=(0.8, 0.95), eps=0.0, weight_decay=0.02),
        "states": ["exp_avg", "exp_avg_sq"],
    },
    {
        "name": "SGD with momentum and dampening",
        "op": "Momentum",
        "attrs": {"alpha": 0.9, "beta": 0.75, "norm_coefficient": 0.01, "mode": "standard"},
        "first_t": 0,
        "make": lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.9, dampening=0.25, weight_decay=0.01),
        "states": ["momentum_buffer"],
    },
    {
        "name": "SGD with Nesterov momentum",
        "op": "Momentum",
        "attrs": {"alpha": 0.7, "beta": 1.0, "norm_coefficient": 0.03, "mode": "nesterov"},
        "first_t": 0,
        "make": lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.7, nesterov=True, weight_decay=0.03),
        "states": ["momentum_buffer"],
    },
]


def flat(t):
    return [float(v) for v in t.reshape(-1)]


out = {"shapes": SHAPES, "lr": LR, "initial": [flat(t) for t in INITIAL], "gradients": [[flat(g) for g in step] for step in GRADIENTS], "cases": []}
for case in CASES:
    params = [t.clone().requires_grad_(True) for t in INITIAL]
    optimizer = case["make"](params)
    steps = []
    for step in range(STEPS):
        for p, g in zip(params, GRADIENTS[step]):
            p.grad = g.clone()
        optimizer.step()
        steps.append(
            {
                "params": [flat(p.detach()) for p in params],
                "states": [[flat(optimizer.state[p][name]) for p in params] for name in case["states"]],
            }
        )
    out["cases"].append({"name": case["name"], "op": case["op"], "attrs": case["attrs"], "first_t": case["first_t"], "steps": steps})

with open("fixtures/training-optimizers-pytorch.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote fixtures/training-optimizers-pytorch.json")
