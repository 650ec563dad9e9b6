// The CRC-32 family's check values (the CRC catalogue's "123456789" test vector) and continuation: a CRC
// taken over pieces equals the CRC of the whole.
import { describe, expect, it } from 'vitest';
import { crc32, crc32c } from '../../lib/utils/crc';

const check = new TextEncoder().encode('123456789');

describe('crc32 / crc32c', () => {
  it('give the catalogue check values: CRC-32 cbf43926, CRC-32C e3069283', () => {
    expect(crc32(check).toString(16)).toBe('cbf43926');
    expect(crc32c(check).toString(16)).toBe('e3069283');
  });

  it('continue from a previous value: pieces give the whole data\'s CRC', () => {
    const a = check.subarray(0, 4);
    const b = check.subarray(4);
    expect(crc32(b, crc32(a))).toBe(crc32(check));
    expect(crc32c(b, crc32c(a))).toBe(crc32c(check));
  });

  it('are 0 for no data', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});
