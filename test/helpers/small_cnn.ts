// A small CNN for 3-channel images and 10 classes (two convolutions, average pooling, a linear head):
// the model of the garbage-collector test and of bench/no-tidy.ts, cheap enough for a thousand steps.
import * as torch from '../../lib';

const { nn } = torch;

export class SmallCNN extends nn.Module {
  conv1 = new nn.Conv2d(3, 8, 3, { padding: 1 });
  pool = new nn.AvgPool2d(2);
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  gap = new nn.AdaptiveAvgPool2d(1);
  fc = new nn.Linear(16, 10);
  forward(x: torch.Tensor): torch.Tensor {
    const h = this.pool.forward(this.conv1.forward(x).relu());
    return this.fc.forward(this.gap.forward(this.conv2.forward(h).relu()).flatten(1));
  }
}
