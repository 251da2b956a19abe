import { memo } from 'react';
import { fateWords, type FateKind } from '../../../shared/snapshot-fates.ts';

// A fate drawn with an icon AND a word (never colour alone), the same marks as the retention timeline's legend.
// The icon is the badge's ::before with a background image of lucide's icon in the fate's colour (one data URL per
// fate and theme, snapshots.css), not an inline <svg>: an svg per row was an svg root, its shapes and a transform of
// their own to style, lay out and paint for every row a scroll frame brings into view (100,000-row tables).
// Memoized: a table row that scrolls into a recycled row of the same fate draws nothing again.

export const FateBadge = memo(function FateBadge({ kind }: { kind: FateKind }) {
  return <span className={`fate-badge fate-${kind}`}>{fateWords[kind]}</span>;
});
