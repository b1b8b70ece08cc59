#!/usr/bin/env python3
"""PyTorch reference row for @polychip/bench.

A line-oriented worker: the bench starts it once per pass (argv[1] = thread count), then sends
one JSON command per line on stdin and reads one JSON reply per line on stdout:
  {"cmd": "prepare", "model": "mlp"|"cnn"|"resnet", "batch": 64}  -> {"ok": true, "firstLoss": x}
  {"cmd": "run"}                                        -> {"ms": x}   (timed here, without the pipe)
  {"cmd": "dispose"}                                    -> {"ok": true}
The first line it writes says whether torch could be imported, and which BLAS it was built with.
"""
import json
import re
import sys
import time


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def basic_block(nn, cin, cout, stride):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = (
                nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
                if stride != 1 or cin != cout
                else None
            )

        def forward(self, x):
            y = self.bn2(self.conv2(self.bn1(self.conv1(x)).relu()))
            return (y + (self.shortcut(x) if self.shortcut is not None else x)).relu()

    return Block()


def build_model(torch, kind):
    nn = torch.nn
    if kind == "resnet":
        # Same layers as resnet() in packages/bench/src/models/resnet.ts.
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            basic_block(nn, 16, 16, 1), basic_block(nn, 16, 32, 2), basic_block(nn, 32, 32, 1),
            nn.AvgPool2d(14), nn.Flatten(), nn.Linear(32, 10),
        )
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    # Same layers as cnn() in @polychip/cli.
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


class TrainStep:
    """One SGD step (forward, cross-entropy, backward, update), as the JavaScript peers run it."""

    def __init__(self, torch, kind, batch, lr):
        torch.manual_seed(0)
        self.torch = torch
        self.model = build_model(torch, kind).train()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.x = torch.rand(batch, 1, 28, 28) * 2 - 1
        self.y = torch.randint(0, 10, (batch,))

    def run(self):
        self.optimizer.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def describe(torch):
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
    onednn = re.search(r"(?:MKL-DNN|oneDNN) v([0-9.]+)", config)
    return {
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas.group(1) if blas else "unknown",
        "onednn": onednn.group(1) if onednn else None,
        "mkldnnEnabled": bool(torch.backends.mkldnn.is_available()),
        "config": config,
    }


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    try:
        import torch
    except Exception as err:  # noqa: BLE001 - any import failure means "not installed" to the bench
        send({"ready": False, "reason": f"PyTorch is not installed for {sys.executable} ({err}); on Debian: apt-get install python3-torch"})
        return
    torch.set_num_threads(threads)
    send({"ready": True, **describe(torch)})
    job = None
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        cmd = msg.get("cmd")
        try:
            if cmd == "prepare":
                job = TrainStep(torch, msg["model"], int(msg["batch"]), float(msg.get("lr", 0.01)))
                send({"ok": True, "firstLoss": job.run()})
            elif cmd == "run":
                start = time.perf_counter()
                job.run()
                send({"ms": (time.perf_counter() - start) * 1000})
            elif cmd == "dispose":
                job = None
                send({"ok": True})
            elif cmd == "exit":
                break
            else:
                send({"error": f"unknown command {cmd!r}"})
        except Exception as err:  # noqa: BLE001 - reported to the bench as this runner's failure
            send({"error": f"{type(err).__name__}: {err}"})


if __name__ == "__main__":
    main()
