import { nn, type Tensor } from "@polychip/engine";

/** conv3x3 → BN → ReLU → conv3x3 → BN, plus the input (through a strided 1×1 conv + BN when the shape changes), → ReLU. */
export class BasicBlock extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  shortcut: nn.Sequential | undefined;

  constructor(inChannels: number, outChannels: number, stride: number) {
    super();
    this.conv1 = new nn.Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(outChannels);
    this.conv2 = new nn.Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(outChannels);
    if (stride !== 1 || inChannels !== outChannels) {
      this.shortcut = new nn.Sequential(new nn.Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new nn.BatchNorm2d(outChannels));
    }
  }

  forward(x: Tensor): Tensor {
    const y = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    const skip = this.shortcut ? (this.shortcut.forward(x) as Tensor) : x;
    return y.add(skip).relu();
  }
}

/**
 * The small ResNet of issue 13's goals, at Fashion-MNIST size: a conv-BN-ReLU stem (16 channels),
 * three basic blocks (16, 32 with stride 2, 32), a 14×14 average pool and a linear layer to 10
 * classes. torch_runner.py builds the same layers for the PyTorch row.
 */
export function resnet(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new BasicBlock(16, 16, 1),
    new BasicBlock(16, 32, 2),
    new BasicBlock(32, 32, 1),
    new nn.AvgPool2d(14),
    new nn.Flatten(),
    new nn.Linear(32, 10),
  );
}
