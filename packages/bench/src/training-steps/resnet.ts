import { mean, nn, relu, type Tensor } from "@polychip/engine";
import { BasicBlock } from "../models/resnet.ts";

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
