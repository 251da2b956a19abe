import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { tabKeyTarget } from './tab-keys.ts';

// Tabs for a screen whose panel holds a large, busy subtree (the snapshot table: 100,000 virtualized rows rewritten
// on every scroll frame). react-aria-components' TabPanel watches its whole subtree with a MutationObserver to decide
// whether the panel needs its own tab stop, and on every recycled row it walked the panel and forced style and layout
// in the middle of the scroll frame. Here the panel checks once, when it is shown.
//
// WAI-ARIA tabs (APG, automatic activation): a tablist of tabs with one tab stop (the selected tab); Left/Right move
// to the previous/next tab and select it (wrapping), Home/End the first/last; a click selects. The panel is a
// tabpanel labelled by its tab, focusable itself only when nothing in it is.

export interface TabItem<K extends string> {
  id: K;
  label: ReactNode;
}

const tabbable = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Tabs<K extends string>({
  label,
  tabs,
  selected,
  onChange,
  className,
  children,
}: {
  /** The accessible name of the tab list. */
  label: string;
  tabs: readonly TabItem<K>[];
  selected: K;
  onChange(id: K): void;
  className?: string;
  /** The selected tab's panel (only it is drawn). */
  children: ReactNode;
}) {
  const base = useId();
  const tabId = (id: K) => `${base}-tab-${id}`;
  const panelId = (id: K) => `${base}-tabpanel-${id}`;
  const tabRefs = useRef(new Map<K, HTMLDivElement>());
  const panelRef = useRef<HTMLDivElement>(null);
  // Whether the shown panel has a tab stop of its own: checked when a panel is shown, not on every change inside it.
  const [panelHasTabbable, setPanelHasTabbable] = useState(true);
  useLayoutEffect(() => {
    setPanelHasTabbable(panelRef.current?.querySelector(tabbable) != null);
  }, [selected]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = tabs.findIndex((t) => t.id === selected);
    const target = tabKeyTarget(event.key, Math.max(0, index), tabs.length);
    if (target === null) return;
    event.preventDefault();
    const next = tabs[target]!.id;
    tabRefs.current.get(next)?.focus();
    if (next !== selected) onChange(next);
  };

  return (
    <div className={className}>
      <div role="tablist" aria-label={label} aria-orientation="horizontal" className="tab-list" onKeyDown={onKeyDown}>
        {tabs.map((tab) => {
          const isSelected = tab.id === selected;
          return (
            <div
              key={tab.id}
              ref={(element) => {
                if (element) tabRefs.current.set(tab.id, element);
                else tabRefs.current.delete(tab.id);
              }}
              role="tab"
              id={tabId(tab.id)}
              className="tab"
              tabIndex={isSelected ? 0 : -1}
              aria-selected={isSelected}
              aria-controls={isSelected ? panelId(tab.id) : undefined}
              data-selected={isSelected ? 'true' : undefined}
              onClick={() => {
                if (!isSelected) onChange(tab.id);
              }}
            >
              {tab.label}
            </div>
          );
        })}
      </div>
      <div key={selected} ref={panelRef} role="tabpanel" id={panelId(selected)} aria-labelledby={tabId(selected)} className="tab-panel" tabIndex={panelHasTabbable ? undefined : 0}>
        {children}
      </div>
    </div>
  );
}
