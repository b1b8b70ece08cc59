#!/usr/bin/env python3
"""PyTorch side of packages/bench/src/training-steps: one training step of the character GPT and of
the small ResNet, at one thread, with the same shapes, layers and optimisers as main.ts.

A line-oriented worker, so main.ts can take turns with Polychip step by step (a load that changes
during the run then hits both alike): argv[1] is the JSON config; it prints {"torch": version,
"threads": n} once, then answers each line "gpt" or "resnet" on stdin with {"ms": x}, one step
timed here (without the pipe).

Usage: /usr/bin/python3 torch_steps.py CONFIG_JSON
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CharGpt(nn.Module):
    def __init__(self, vocab, block, dim, heads, layers):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(block, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(dim), enable_nested_tensor=False)
        self.head = nn.Linear(dim, vocab)
        self.register_buffer("mask", torch.triu(torch.full((block, block), float("-inf")), 1))

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tokens(ids) + self.positions(torch.arange(t))
        return self.head(self.blocks(x, mask=self.mask[:t, :t]))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


class SmallResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.blocks = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(self.blocks(F.relu(self.bn(self.stem(x)))).mean((2, 3)))


def timed(step):
    start = time.perf_counter()
    step()
    return (time.perf_counter() - start) * 1000


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    g = cfg["gpt"]
    gpt = CharGpt(g["vocab"], g["block"], g["dim"], g["heads"], g["layers"]).train()
    gpt_opt = torch.optim.AdamW(gpt.parameters(), lr=3e-3, weight_decay=0.01)
    ids = torch.randint(0, g["vocab"], (g["batch"], g["block"]))
    targets = torch.randint(0, g["vocab"], (g["batch"], g["block"]))

    def gpt_step():
        gpt_opt.zero_grad()
        loss = F.cross_entropy(gpt(ids).transpose(1, 2), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gpt.parameters(), 1.0)
        gpt_opt.step()
        return loss.item()

    r = cfg["resnet"]
    resnet = SmallResNet().train()
    resnet_opt = torch.optim.SGD(resnet.parameters(), lr=0.05, momentum=0.9)
    images = torch.randn(r["batch"], 3, r["size"], r["size"])
    labels = torch.randint(0, 10, (r["batch"],))

    def resnet_step():
        resnet_opt.zero_grad()
        loss = F.cross_entropy(resnet(images), labels)
        loss.backward()
        resnet_opt.step()
        return loss.item()

    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    steps = {"gpt": gpt_step, "resnet": resnet_step}
    for line in sys.stdin:
        print(json.dumps({"ms": timed(steps[line.strip()])}), flush=True)


if __name__ == "__main__":
    main()
