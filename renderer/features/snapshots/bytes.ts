import { formatBytes } from '../../lib/format.ts';

/** A size that zfs may not report (null): "—". */
export const bytesOrDash = (bytes: number | null): string => (bytes === null ? '—' : formatBytes(bytes));
