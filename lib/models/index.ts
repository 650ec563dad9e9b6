// Models: the CIFAR ResNet family.
export { ResNet, BasicBlock, LambdaLayer, resnet20, resnet32, resnet44, resnet56, resnet110 } from './resnet';
export type { ShortcutType, ResNetOptions, BlockClass } from './resnet';
