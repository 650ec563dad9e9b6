// torch.nn.parallel
export { DistributedDataParallel } from './distributed';
export type { DistributedDataParallelOptions, DdpTraceEvent } from './distributed';
