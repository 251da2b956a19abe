import { expect, it } from 'vitest';
import { formatBytes } from '../../../shared/format-bytes.ts';

it('formats bytes with binary units', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  expect(formatBytes(1536)).toBe('1.5 KiB');
});
