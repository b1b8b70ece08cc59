// A tiny character-level transformer: token + position embeddings, one pre-norm
// nn.TransformerEncoderLayer with causal self-attention (nn.MultiheadAttention inside) and a GELU
// MLP, and a language-model head. It learns to continue the text below, then writes a sample.
import { nn, optim, tensor, tidy, noGrad, crossEntropy, log, setModel, type Tensor } from "polychip";

const TEXT = `the chip reads the weights, the chip multiplies, the chip adds.
the host waits for nothing: it queues the work and reads the answer later.
every device speaks the same small set of ops, and what one cannot do falls back to the cpu.
train on one chip, deploy on another, and the numbers agree.
`;
const STEPS = 250;
const BATCH = 16;
const BLOCK = 24; // context length
const DIM = 32;

const chars = [...new Set(TEXT)].sort();
const vocab = chars.length;
const ids = Int32Array.from(TEXT, (c) => chars.indexOf(c));
console.log(`${TEXT.length} characters, vocabulary of ${vocab}`);

class TinyTransformer extends nn.Module {
  tokens = new nn.Embedding(vocab, DIM);
  positions = new nn.Embedding(BLOCK, DIM);
  block = new nn.TransformerEncoderLayer(DIM, 4, { dimFeedforward: 4 * DIM, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true });
  norm = new nn.LayerNorm(DIM);
  head = new nn.Linear(DIM, vocab);

  forward(idx: Tensor): Tensor {
    const t = idx.shape[1]!;
    const pos = tensor(Int32Array.from({ length: t }, (_, i) => i));
    const x = this.tokens.forward(idx).add(this.positions.forward(pos));
    return this.head.forward(this.norm.forward(this.block.encode(x, { isCausal: true })));
  }
}

const model = new TinyTransformer();
const opt = new optim.Adam(model.parameters(), { lr: 3e-3 });

// Deterministic batches of random windows: targets are the inputs shifted by one character.
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
function batch(): [Tensor, Tensor] {
  const x = new Int32Array(BATCH * BLOCK);
  const y = new Int32Array(BATCH * BLOCK);
  for (let b = 0; b < BATCH; b++) {
    const start = Math.floor(random() * (ids.length - BLOCK - 1));
    x.set(ids.subarray(start, start + BLOCK), b * BLOCK);
    y.set(ids.subarray(start + 1, start + BLOCK + 1), b * BLOCK);
  }
  return [tensor(x, { shape: [BATCH, BLOCK] }), tensor(y, { shape: [BATCH * BLOCK] })];
}

for (let step = 0; step < STEPS; step++) {
  const [x, y] = batch();
  const loss = tidy(() => {
    const logits = model.forward(x).reshape(BATCH * BLOCK, vocab);
    const l = crossEntropy(logits, y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    return l.detach();
  });
  log(step, { loss: await loss.item() }, { samples: BATCH * BLOCK });
  for (const t of [x, y, loss]) t.dispose();
}

// Greedy generation from a prompt.
let text = "the chip ";
for (let i = 0; i < 60; i++) {
  const context = Int32Array.from(text.slice(-BLOCK), (c) => chars.indexOf(c));
  const next = noGrad(() =>
    tidy(() =>
      model
        .forward(tensor(context, { shape: [1, context.length] }))
        .select(0, 0)
        .select(0, context.length - 1)
        .argmax(0),
    ),
  );
  text += chars[await next.item()];
  next.dispose();
}
console.log("sample:", JSON.stringify(text));

setModel(model, tensor(ids.subarray(0, BLOCK), { shape: [1, BLOCK] }));
