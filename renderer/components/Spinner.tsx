import { LoaderCircle } from 'lucide-react';

/** A busy indicator; decorative (the busy state is announced by the control or region that owns it). */
export function Spinner({ size = 16 }: { size?: number }) {
  return <LoaderCircle className="spinner" size={size} aria-hidden="true" />;
}
