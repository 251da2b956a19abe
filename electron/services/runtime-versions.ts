import { readFileSync } from 'node:fs';

/** The app version from package.json, read once; both the bridge and the CLI report it. */
export function appVersion(packageJsonPath: string): string {
  const parsed = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version?: string };
  return parsed.version ?? '0.0.0';
}
