"""Writes fixtures/pytorch/*.onnx: ordinary PyTorch modules exported with torch.onnx.export as a
model author would (dynamic axes, the exporter's default lowering), for src/pytorch-exports.test.ts,
which checks Polychip against onnxruntime-node at two input sizes per model.

- encoder-opset{11,17}.onnx: a BERT-style text encoder (token + position embeddings, 2 pre-norm
  nn.TransformerEncoderLayer blocks with GELU and a key padding mask, mean pooling over the mask),
  dynamic batch and sequence length; opset 11 and 17 take different exporter paths.
- recurrent.onnx: a 2-layer bidirectional nn.GRU into an nn.LSTM, dynamic batch and time.
- decoder.onnx (opset 17): nn.MultiheadAttention under a causal torch.triu mask, residual +
  LayerNorm, then the tensor ops model code reaches for: topk, cumsum of a softmax, a slice to
  L // 2, gather by the topk indices, masked_fill with -inf, einsum, nan_to_num; dynamic batch and length.
- scripted.onnx (opset 13): a torch.jit.script function with a loop over the batch size and an
  if on the data's sum (ONNX Loop and If), after an nn.Linear.
- unet.onnx: conv/batch norm/ReLU/max pool down, grouped conv + SiLU, ConvTranspose2d up,
  bilinear interpolate to the skip's size, concat, 1x1 conv, softmax; dynamic batch, H and W.

Weights are random (seeded): these check the importer on PyTorch's export, not a trained model.
Run with /usr/bin/python3 (torch 1.13) from packages/onnx: python3 scripts/export-pytorch-models.py
"""
import torch
import torch.nn as nn

torch.manual_seed(0)
OUT = "fixtures/pytorch"


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(100, 64)
        self.positions = nn.Embedding(64, 64)
        layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True, activation="gelu", norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.norm = nn.LayerNorm(64)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.tokens(input_ids) + self.positions(positions)
        x = self.norm(self.encoder(x, src_key_padding_mask=attention_mask == 0))
        m = attention_mask.unsqueeze(-1).float()
        return (x * m).sum(1) / m.sum(1)


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(20, 32, 2, batch_first=True, bidirectional=True)
        self.lstm = nn.LSTM(64, 16, batch_first=True)

    def forward(self, x):
        y, h = self.gru(x)
        z, _ = self.lstm(y)
        return z, h


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.middle = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1, groups=2), nn.SiLU())
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.head = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        skip = self.down(x)
        up = nn.functional.interpolate(self.up(self.middle(skip)), size=skip.shape[2:], mode="bilinear", align_corners=False)
        return torch.softmax(self.head(torch.cat([skip, up], 1)), 1)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(32, 4, batch_first=True)
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        length = x.shape[1]
        causal = torch.triu(torch.ones(length, length, dtype=torch.bool), 1)
        y, weights = self.attention(x, x, x, attn_mask=causal)
        y = self.norm(y + x)
        logits = self.head(y)
        top, index = torch.topk(logits, 3, dim=-1)
        running = torch.cumsum(logits.softmax(-1), dim=1)
        first_half = y[:, : length // 2].mean(1)
        gathered = torch.gather(logits, 2, index)
        positive = torch.nan_to_num(logits.masked_fill(logits < 0, float("-inf")).softmax(-1))
        similarity = torch.einsum("bld,bmd->blm", y, y)
        return top, index, running, first_half, gathered, positive, similarity, weights


@torch.jit.script
def halve_and_shift(x: torch.Tensor, n: int) -> torch.Tensor:
    for _ in range(n):
        x = x * 0.5 + torch.tanh(x)
    if x.sum() > 0:
        x = x - 1
    else:
        x = x + 1
    return x


class Scripted(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(8, 8)

    def forward(self, x):
        return halve_and_shift(self.linear(x), x.shape[0])


def randomise_batch_norm(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)


encoder = Encoder().eval()
ids = torch.randint(0, 100, (2, 9))
mask = torch.ones(2, 9, dtype=torch.long)
mask[1, 6:] = 0
for opset in (11, 17):
    torch.onnx.export(encoder, (ids, mask), f"{OUT}/encoder-opset{opset}.onnx", input_names=["input_ids", "attention_mask"],
                      output_names=["embedding"], dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}},
                      opset_version=opset)
torch.onnx.export(Recurrent().eval(), torch.randn(3, 11, 20), f"{OUT}/recurrent.onnx", input_names=["x"], output_names=["z", "h"],
                  dynamic_axes={"x": {0: "batch", 1: "time"}}, opset_version=13)
torch.onnx.export(Decoder().eval(), torch.randn(2, 6, 32), f"{OUT}/decoder.onnx", input_names=["x"],
                  output_names=["top", "index", "running", "first_half", "gathered", "positive", "similarity", "weights"],
                  dynamic_axes={"x": {0: "batch", 1: "length"}}, opset_version=17)
torch.onnx.export(Scripted().eval(), torch.randn(3, 8), f"{OUT}/scripted.onnx", input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "batch"}}, opset_version=13)
unet = UNet()
randomise_batch_norm(unet)
torch.onnx.export(unet.eval(), torch.randn(1, 3, 32, 48), f"{OUT}/unet.onnx", input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}}, opset_version=12)
