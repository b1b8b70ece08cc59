import { add, mean, nn, relu, type Tensor } from "@polychip/engine";

/** A residual block of two 3x3 convolutions with batch norm; a strided 1x1 convolution matches the shortcut when the shape changes. */
class BasicBlock extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  shortcut?: nn.Sequential;

  constructor(inChannels: number, outChannels: number, stride: number) {
    super();
    this.conv1 = new nn.Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(outChannels);
    this.conv2 = new nn.Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(outChannels);
    if (stride !== 1 || inChannels !== outChannels)
      this.shortcut = new nn.Sequential(new nn.Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new nn.BatchNorm2d(outChannels));
  }

  forward(x: Tensor): Tensor {
    const y = this.bn2.call(this.conv2.call(relu(this.bn1.call(this.conv1.call(x)))));
    return relu(add(y, this.shortcut ? this.shortcut.call(x) : x));
  }
}

/** A small CIFAR-style ResNet (16-32-64 channels, one block per stage), the same layers as torch_steps.py's. */
export class SmallResNet extends nn.Module {
  stem: nn.Conv2d;
  bn: nn.BatchNorm2d;
  blocks: nn.Sequential;
  fc: nn.Linear;

  constructor(classes = 10) {
    super();
    this.stem = new nn.Conv2d(3, 16, 3, { padding: 1, bias: false });
    this.bn = new nn.BatchNorm2d(16);
    this.blocks = new nn.Sequential(new BasicBlock(16, 16, 1), new BasicBlock(16, 32, 2), new BasicBlock(32, 64, 2));
    this.fc = new nn.Linear(64, classes);
  }

  forward(x: Tensor): Tensor {
    const features = this.blocks.call(relu(this.bn.call(this.stem.call(x))));
    return this.fc.call(mean(features, [2, 3]));
  }
}
