// The keys of a horizontal WAI-ARIA tab list (components/Tabs.tsx), apart for unit tests.

/** The tab a key moves to from `index` (of `count`), or null when the key is not a tab key. */
export function tabKeyTarget(key: string, index: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}
