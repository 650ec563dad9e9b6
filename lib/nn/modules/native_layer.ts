// The layers that hold a libtorch module (native/module.cc): Conv2d, BatchNorm2d and Linear. Its constructor
// runs PyTorch's default initialisation, forward is one native call, and the parameters/buffers registered
// here are handles on the libtorch module's own tensors.
import { native, type NativeLayer as NativeModule } from '../../native';
import type { Tensor } from '../../tensor';
import type { DType } from '../../dtype';
import { Module } from '../module';
import type { FactoryOptions } from './utils';

export abstract class NativeLayer extends Module {
  protected readonly impl: NativeModule;

  constructor(kind: string, options: FactoryOptions & Record<string, unknown>) {
    super();
    this.impl = new native.nn.NativeModule(kind, options);
    for (const [name, t] of this.impl.namedParameters()) this.registerParameter(name, t);
    for (const [name, t] of this.impl.namedBuffers()) this.registerBuffer(name, t);
    if (options.device !== undefined || options.dtype !== undefined) {
      this.to({ device: options.device, dtype: options.dtype });
    }
  }

  forward(input: Tensor): Tensor {
    return this.impl.forward(input);
  }

  protected adoptsAssignedTensors(): boolean {
    return true;
  }

  train(mode = true): this {
    this.impl.train(mode);
    return super.train(mode);
  }

  protected applyTo(device: string | null, dtype: DType | null): void {
    this.impl.to(device, dtype);
  }
}
