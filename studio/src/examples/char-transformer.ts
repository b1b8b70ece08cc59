// A tiny character-level transformer: token + position embeddings, one pre-norm block with causal
// self-attention written out with matmul and softmax, an MLP, and a language-model head. It learns
// to continue the text below, then writes a sample.
import { nn, optim, tensor, tidy, noGrad, crossEntropy, log, setModel, keep, type Tensor } from "polychip";

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

// 0 where a position may look, a large negative number where it would look ahead.
const maskValues = new Float32Array(BLOCK * BLOCK).map((_, i) => (i % BLOCK > Math.floor(i / BLOCK) ? -1e9 : 0));
const causalMask = keep(tensor(maskValues, { shape: [BLOCK, BLOCK] }));

class Block extends nn.Module {
  ln1 = new nn.LayerNorm(DIM);
  query = new nn.Linear(DIM, DIM);
  key = new nn.Linear(DIM, DIM);
  value = new nn.Linear(DIM, DIM);
  proj = new nn.Linear(DIM, DIM);
  ln2 = new nn.LayerNorm(DIM);
  fc1 = new nn.Linear(DIM, 4 * DIM);
  fc2 = new nn.Linear(4 * DIM, DIM);

  forward(x: Tensor): Tensor {
    const t = x.shape[1]!;
    const h = this.ln1.forward(x);
    const q = this.query.forward(h);
    const k = this.key.forward(h);
    const v = this.value.forward(h);
    const mask = causalMask.slice(0, 0, t).slice(1, 0, t);
    const scores = q
      .matmul(k.transpose(1, 2))
      .mul(1 / Math.sqrt(DIM))
      .add(mask);
    const attended = scores.softmax(-1).matmul(v);
    const y = x.add(this.proj.forward(attended));
    return y.add(this.fc2.forward(this.fc1.forward(this.ln2.forward(y)).gelu()));
  }
}

class TinyTransformer extends nn.Module {
  tokens = new nn.Embedding(vocab, DIM);
  positions = new nn.Embedding(BLOCK, DIM);
  block = new Block();
  norm = new nn.LayerNorm(DIM);
  head = new nn.Linear(DIM, vocab);

  forward(idx: Tensor): Tensor {
    const t = idx.shape[1]!;
    const pos = tensor(Int32Array.from({ length: t }, (_, i) => i));
    const x = this.tokens.forward(idx).add(this.positions.forward(pos));
    return this.head.forward(this.norm.forward(this.block.forward(x)));
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
