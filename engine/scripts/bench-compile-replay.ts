/**
 * Eager vs compile() vs compile({ replay: true }) training steps on cpu, interleaved in one process
 * so a shared machine's load hits every variant alike. Prints the minimum and median step time.
 *   [ONLY=cnn] node --import tsx engine/scripts/bench-compile-replay.ts [rounds=6] [stepsPerRound=5]
 */
import { compile, crossEntropy, manualSeed, nn, optim, randn, setDefaultDevice, tensor, tidy, type Tensor } from "../src/index.ts";

setDefaultDevice("cpu");
const [rounds, perRound] = [Number(process.argv[2] ?? 6), Number(process.argv[3] ?? 5)];

class CharLstm extends nn.Module {
  embed = new nn.Embedding(32, 16);
  lstm = new nn.LSTM(16, 48, { numLayers: 2, batchFirst: true });
  head = new nn.Linear(48, 32);
  forward(tokens: Tensor): Tensor {
    return this.head.forward(this.lstm.forward(this.embed.forward(tokens))).reshape([-1, 32]);
  }
}

const mlp = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
const cnn = () =>
  new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 7 * 7, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );

interface Case {
  name: string;
  make: () => nn.Module;
  opt: (m: nn.Module) => optim.Optimizer;
  x: () => Tensor;
  y: () => Tensor;
}
const labels = (n: number, k: number) =>
  tensor(
    Array.from({ length: n }, (_, i) => (i * 7) % k),
    { dtype: "int32" },
  );
const cases: Case[] = [
  {
    name: "MLP 784-128-10, B=64, SGD momentum",
    make: mlp,
    opt: (m) => new optim.SGD(m.parameters(), { lr: 0.01, momentum: 0.9 }),
    x: () => randn([64, 1, 28, 28]),
    y: () => labels(64, 10),
  },
  {
    name: "char-LSTM emb16-LSTM48x2-linear, B=16 T=16, Adam",
    make: () => new CharLstm(),
    opt: (m) => new optim.Adam(m.parameters(), { lr: 1e-3 }),
    x: () =>
      tensor(
        Array.from({ length: 256 }, (_, i) => (i * 5) % 32),
        { dtype: "int32", shape: [16, 16] },
      ),
    y: () => labels(256, 32),
  },
  {
    name: "CNN 32-64-128 (bench cnn), B=16, Adam",
    make: cnn,
    opt: (m) => new optim.Adam(m.parameters(), { lr: 1e-3 }),
    x: () => randn([16, 1, 28, 28]),
    y: () => labels(16, 10),
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const loadavg = async () => (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

// ONLY=lstm (any part of a case's name, case-insensitive) times that case alone.
for (const c of cases.filter((c) => c.name.toLowerCase().includes((process.env.ONLY ?? "").toLowerCase()))) {
  manualSeed(1);
  const [x, y] = [c.x(), c.y()];
  const variants = (["eager", "compiled", "replay"] as const).map((mode) => {
    manualSeed(2);
    const model = c.make();
    const opt = c.opt(model);
    const body = () => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x) as Tensor, y);
      loss.backward();
      opt.step();
      return loss;
    };
    const run = mode === "eager" ? () => tidy(body) : compile(body, { replay: mode === "replay", name: mode });
    return { mode, run, times: [] as number[] };
  });
  for (const v of variants) for (let i = 0; i < 4; i++) await v.run().item();
  const before = await loadavg();
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        const loss = v.run();
        await loss.item();
        v.times.push(performance.now() - t0);
        loss.dispose();
      }
    }
  }
  const eager = Math.min(...variants[0]!.times);
  console.log(`\n${c.name}   (load ${before} -> ${await loadavg()})`);
  for (const v of variants) {
    const counts = "stats" in v.run ? v.run.stats : undefined;
    const stats = counts ? ` [${counts.replays} replays, ${counts.recordings} recordings]` : "";
    console.log(
      `  ${v.mode.padEnd(9)} min ${Math.min(...v.times).toFixed(2)} ms  median ${median(v.times).toFixed(2)} ms  eager/min ${(eager / Math.min(...v.times)).toFixed(2)}x${stats}`,
    );
  }
}
