/** The app's icon (renderer/icon.svg) inline, for the sidebar: no extra request, and no <img> the CSP must allow. */
export function AppIcon({ size = 22 }: { size?: number }) {
  return (
    <svg viewBox="0 0 512 512" width={size} height={size} aria-hidden="true" focusable="false">
      <rect x="16" y="16" width="480" height="480" rx="96" fill="#1f6feb" />
      <g fill="none" stroke="#ffffff" strokeWidth="22" strokeLinecap="round" strokeLinejoin="round">
        <ellipse cx="190" cy="150" rx="92" ry="34" />
        <path d="M98 150v150c0 19 41 34 92 34s92-15 92-34V150" />
        <path d="M98 225c0 19 41 34 92 34s92-15 92-34" />
        <path d="M300 330h110" />
        <path d="M370 290l40 40-40 40" />
      </g>
      <g fill="#ffffff">
        <circle cx="190" cy="395" r="14" />
        <circle cx="240" cy="395" r="14" />
      </g>
    </svg>
  );
}
