/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

// Helpers of the browser-mode UI tests: screenshots in both themes, the accessibility check, and keyboard-only
// navigation.

export const screenshotDir = 'test-results/screenshots';

/** The bridge address with this run's token (test/e2e/global-setup.ts). */
export const appUrl = () => process.env.ZRD_E2E_URL!;

/**
 * Saves `<name>-light.png` and `<name>-dark.png`: the app follows the OS colour scheme (theme "system"), which
 * Playwright emulates, so one page shows both themes without reloading.
 */
export async function shoot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Let CSS variables and animations settle (spinners are the only animation).
    await page.waitForTimeout(120);
    await page.screenshot({ path: `${screenshotDir}/${name}-${colorScheme}.png`, fullPage: options.fullPage ?? false, animations: 'disabled' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** axe-core on what is on screen now (WCAG 2 A/AA rules): no serious or critical violation, in both themes. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).exclude('[data-sonner-toaster]').analyze();
    const serious = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}) on ${what} [${colorScheme}]: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    expect(serious, `accessibility of ${what} (${colorScheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The accessible name (or text) of the focused element. */
export async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    const labelled = el.getAttribute('aria-labelledby');
    const byIds = labelled ? labelled.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ') : '';
    const label = el.getAttribute('aria-label') ?? ((el as HTMLInputElement).labels?.[0]?.textContent ?? '');
    // A scrolling region (a long dialog body is a tab stop) is named by its label, not by all the text inside it.
    const text = el.matches('button, a, input, select, textarea, [role]:not([role="region"]):not([role="group"])') ? (el.textContent ?? '') : '';
    return `${byIds} ${label} ${text}`.replace(/\s+/g, ' ').trim();
  });
}

/** Presses Tab (or Shift+Tab) until the focused element's name contains `name`. Keyboard only. */
export async function tabTo(page: Page, name: string | RegExp, options: { backwards?: boolean; max?: number } = {}): Promise<void> {
  const matches = (text: string) => (typeof name === 'string' ? text.includes(name) : name.test(text));
  for (let i = 0; i < (options.max ?? 60); i++) {
    if (matches(await focusedName(page))) return;
    await page.keyboard.press(options.backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached "${String(name)}" (focused: "${await focusedName(page)}")`);
}

/** Clears the focused text field and types, keyboard only. */
export async function retype(page: Page, text: string): Promise<void> {
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Backspace');
  if (text) await page.keyboard.type(text);
}

/** A check of a checklist by its data-step id. */
export const checkOf = (scope: Page | Locator, id: string) => scope.locator(`[data-step="${id}"]`);
