// The libtorch line this addon runs on. Where PyTorch's formats changed between versions (optimizer and
// scheduler state dicts), the library writes what the user's PyTorch writes: the libtorch the addon was
// built against is the same version as the PyTorch installed beside it.
import { native } from '../native';

/** The libtorch version the addon was compiled against, e.g. '1.13.0' or '2.13.0'. */
export const libtorchVersion: string = native.libtorchVersion();

const [major, minor] = libtorchVersion.split('.').map(Number);

/** True when the libtorch is `wantMajor.wantMinor` or newer. */
export function libtorchAtLeast(wantMajor: number, wantMinor: number): boolean {
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}
