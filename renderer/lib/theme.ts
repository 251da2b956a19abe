import { useEffect, useState } from 'react';
import type { Theme } from '../../shared/schemas.ts';

// Light and dark themes. "system" follows the OS (prefers-color-scheme); "light"/"dark" is the admin's choice in
// Settings. The choice is the `data-theme` attribute of <html>, which styles.css reads; `color-scheme` tells
// Chromium to draw scrollbars and form controls to match. (In Electron the main process also sets nativeTheme.)

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = theme;
  root.style.colorScheme = theme === 'system' ? 'light dark' : theme;
}

/** The theme actually shown: for "system", what the OS prefers now. */
export function effectiveTheme(theme: Theme): 'light' | 'dark' {
  if (theme !== 'system') return theme;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/**
 * A number that changes when the theme shown changes (the Settings choice or, for "system", the OS's): what a canvas
 * drawn from the theme's tokens redraws on, since CSS cannot restyle what is already painted in it.
 */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', bump);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', bump);
    };
  }, []);
  return version;
}
