// ResNet for CIFAR-10 (He et al. 2016, section 4.2) in the layout of kuangliu/pytorch-cifar as the
// seed report modified it: a 3×3 conv (16 filters), three stages of BasicBlocks with 16/32/64
// filters (stride 2 at the start of stages 2 and 3), global 8×8 average pool, a linear classifier.
// Depth 6n+2: resnet20/32/44/56/110 have n = 3/5/7/9/18. State-dict keys are the seed model's.
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { BatchNorm2d, Conv2d, Linear, Sequential } from '../nn/modules';
import * as F from '../nn/functional';
import { checkInt, checkOneOf, checkOptions } from '../utils/validate';
import { optionKeys, readOptions } from '../utils/options';

/**
 * How a block's shortcut changes shape: 'B' (the seed's) is a 1×1 conv + BN projection;
 * 'A' (the paper's CIFAR choice) is parameter-free: subsample by 2 and zero-pad the new channels.
 */
export type ShortcutType = 'A' | 'B';
const SHORTCUTS: readonly ShortcutType[] = ['A', 'B'];

/** A module around a function, as the LambdaLayer of the usual option-A CIFAR ResNets. */
export class LambdaLayer extends Module {
  constructor(private readonly fn: (x: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}

export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  shortcut: Module;

  constructor(inPlanes: number, planes: number, stride = 1, shortcut: ShortcutType = 'B') {
    super();
    checkOneOf(shortcut, SHORTCUTS, 'BasicBlock', 'shortcut');
    this.conv1 = new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(planes);
    this.shortcut = new Sequential();
    if (stride !== 1 || inPlanes !== BasicBlock.expansion * planes) {
      if (shortcut === 'B') {
        this.shortcut = new Sequential(
          new Conv2d(inPlanes, BasicBlock.expansion * planes, 1, { stride, bias: false }),
          new BatchNorm2d(BasicBlock.expansion * planes),
        );
      } else {
        const padC = Math.floor(planes / 4);
        this.shortcut = new LambdaLayer((x) =>
          F.pad(x.slice(2, null, null, 2).slice(3, null, null, 2), [0, 0, 0, 0, padC, padC]),
        );
      }
    }
  }

  forward(x: Tensor): Tensor {
    let out = F.relu(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    out.add_(this.shortcut.forward(x)); // out += self.shortcut(x)
    return F.relu(out);
  }
}

export interface BlockClass {
  new (inPlanes: number, planes: number, stride: number, shortcut: ShortcutType): Module;
  readonly expansion: number;
}

export interface ResNetOptions {
  numClasses?: number;
  shortcut?: ShortcutType;
}

// The keys of ResNetOptions, a list the compiler keeps complete, for readOptions at the entry.
const RESNET = optionKeys<ResNetOptions>({ numClasses: true, shortcut: true });

export class ResNet extends Module {
  private inPlanes = 16;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  linear: Linear;

  constructor(block: BlockClass, numBlocks: [number, number, number], options: ResNetOptions = {}) {
    super();
    options = readOptions('ResNet', options, RESNET);
    checkOptions(options, 'ResNet');
    // 'C' or a lower-case 'b' would otherwise quietly build option A.
    const shortcut = options.shortcut === undefined ? 'B' : checkOneOf(options.shortcut, SHORTCUTS, 'ResNet', 'shortcut');
    if (options.numClasses !== undefined) checkInt(options.numClasses, 'ResNet', 'numClasses', 1);
    this.conv1 = new Conv2d(3, 16, 3, { stride: 1, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(16);
    this.layer1 = this.makeLayer(block, 16, numBlocks[0], 1, shortcut);
    this.layer2 = this.makeLayer(block, 32, numBlocks[1], 2, shortcut);
    this.layer3 = this.makeLayer(block, 64, numBlocks[2], 2, shortcut);
    this.linear = new Linear(64 * block.expansion, options.numClasses ?? 10);
  }

  private makeLayer(block: BlockClass, planes: number, n: number, stride: number, shortcut: ShortcutType): Sequential {
    const layers: Module[] = [];
    for (const s of [stride, ...Array<number>(n - 1).fill(1)]) {
      layers.push(new block(this.inPlanes, planes, s, shortcut));
      this.inPlanes = planes * block.expansion;
    }
    return new Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    let out = F.relu(this.bn1.forward(this.conv1.forward(x)));
    out = this.layer1.forward(out);
    out = this.layer2.forward(out);
    out = this.layer3.forward(out);
    out = F.avgPool2d(out, 8);
    out = out.view(out.shape[0], -1);
    return this.linear.forward(out);
  }
}

const make = (n: number) => (options: ResNetOptions = {}) => new ResNet(BasicBlock, [n, n, n], options);
/** ResNet-20: 272,474 parameters with shortcut 'B' (default), 269,722 with 'A'. */
export const resnet20 = make(3);
export const resnet32 = make(5);
export const resnet44 = make(7);
export const resnet56 = make(9);
export const resnet110 = make(18);
