import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { flipFuses, FuseState, FuseV1Options, getCurrentFuseWire, type FuseConfig } from '@electron/fuses';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { LinuxPackager, type Configuration } from 'electron-builder';
import { afterAll, describe, expect, it } from 'vitest';

// The packaged app's Electron fuses (set by electron-builder from "build.electronFuses" in package.json, right
// before signing). Without an Electron binary here, this proves the configuration end to end on a stand-in binary:
// electron-builder accepts it, turns it into @electron/fuses settings with its own code, and @electron/fuses flips
// exactly those fuses in a fuse wire laid out as Electron lays it out.
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const build = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { build: Configuration }).build;
const dir = mkdtempSync(path.join(tmpdir(), 'zrd-fuses-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Electron's fuse wire: the sentinel, version 1, its length, then one byte per fuse ('0' off, '1' on) in
// FuseV1Options order. Electron's documented defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on,
// asar integrity off, only-from-asar off, browser V8 snapshot off, file:// privileges on, wasm trap handlers on.
const sentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const electronDefaults = '101100011';

function standInElectron(): string {
  const file = path.join(dir, 'zfs-replication-desktop');
  const wire = Buffer.concat([Buffer.from(sentinel), Buffer.from([1, electronDefaults.length]), Buffer.from(electronDefaults)]);
  writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 0x90), wire, Buffer.alloc(4096, 0x90)]));
  return file;
}

describe('Electron fuses of the packaged app', () => {
  it('are configured: no running as Node, no NODE_OPTIONS, no --inspect, the app only from a verified asar', () => {
    expect(build.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // OnlyLoadAppFromAsar needs an asar to load from, and the integrity check needs the hashes electron-builder
    // embeds (Info.plist on macOS, a resource of the .exe on Windows): both are its defaults, never turned off.
    expect((build as { asar?: unknown }).asar ?? true).not.toBe(false);
    expect((build as { disableAsarIntegrity?: unknown }).disableAsarIntegrity ?? false).toBe(false);
  });

  // Compiling electron-builder's JSON schema takes a few seconds.
  it('pass electron-builder\'s own validation of the whole "build" configuration', { timeout: 60_000 }, async () => {
    await expect(validateConfiguration(build, { isEnabled: false, add: () => undefined } as never)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...build, electronFuses: { runAsNod: false } } as never, { isEnabled: false, add: () => undefined } as never)).rejects.toThrow();
  });

  it('flip exactly those fuses in an Electron binary, through electron-builder and @electron/fuses', async () => {
    // electron-builder's own (private) translation from its options to @electron/fuses settings.
    const { generateFuseConfig: generate } = LinuxPackager.prototype as unknown as {
      generateFuseConfig: (this: unknown, fuses: NonNullable<Configuration['electronFuses']>) => Promise<FuseConfig>;
    };
    const fuseConfig = await generate.call(null, build.electronFuses!);
    const binary = standInElectron();
    expect(await flipFuses(binary, fuseConfig)).toBe(1);
    const wire = await getCurrentFuseWire(binary);
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    // Left as Electron ships them (see the README's security section for why).
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.ENABLE);
  });
});
