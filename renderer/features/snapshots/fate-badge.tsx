import { Anchor, Check, Circle, Lock, X } from 'lucide-react';
import { memo } from 'react';
import { fateWords, type FateKind } from '../../../shared/snapshot-fates.ts';

// A fate drawn with an icon AND a word (never colour alone), the same marks as the retention timeline's legend.
// Memoized: a table row that scrolls into a recycled row of the same fate draws nothing again (100,000-row tables).

const icons: Record<FateKind, typeof Check> = { keep: Check, prune: X, held: Lock, base: Anchor, none: Circle };

export const FateBadge = memo(function FateBadge({ kind }: { kind: FateKind }) {
  const Icon = icons[kind];
  return (
    <span className={`fate-badge fate-${kind}`}>
      <Icon size={13} aria-hidden="true" />
      {fateWords[kind]}
    </span>
  );
});
