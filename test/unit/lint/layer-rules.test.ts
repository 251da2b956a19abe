import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The architecture's layer rule is enforced by lint; this proves the rule fires (and does not over-fire).
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function restrictedImportMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rule', () => {
  it('renderer/ may not import electron/, Electron or Node', async () => {
    expect(await restrictedImportMessages('renderer/features/x/bad.ts', "import { dispatch } from '../../../electron/services/rpc/dispatcher.ts';\nexport { dispatch };\n")).toHaveLength(1);
    expect(await restrictedImportMessages('renderer/bad.ts', "import { ipcRenderer } from 'electron';\nexport { ipcRenderer };\n")).toHaveLength(1);
    expect(await restrictedImportMessages('renderer/bad.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n")).toHaveLength(1);
  });

  it('shared/ may import neither electron/ nor renderer/', async () => {
    expect(await restrictedImportMessages('shared/bad.ts', "import { api } from '../renderer/api.ts';\nexport { api };\n")).toHaveLength(1);
    expect(await restrictedImportMessages('shared/bad.ts', "import { EventBus } from '../electron/services/events/event-bus.ts';\nexport { EventBus };\n")).toHaveLength(1);
  });

  it('electron/services may not import Electron', async () => {
    expect(await restrictedImportMessages('electron/services/bad.ts', "import { app } from 'electron';\nexport { app };\n")).toHaveLength(1);
  });

  it('allows the imports the architecture intends', async () => {
    expect(await restrictedImportMessages('renderer/good.ts', "import { verbs } from '../shared/contract.ts';\nexport { verbs };\n")).toEqual([]);
    expect(await restrictedImportMessages('electron/main/good.ts', "import { app } from 'electron';\nexport { app };\n")).toEqual([]);
    expect(await restrictedImportMessages('electron/main/good.ts', "import Store from 'electron-store';\nexport { Store };\n")).toEqual([]);
  });
});
