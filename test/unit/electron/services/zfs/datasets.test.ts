import { describe, expect, it } from 'vitest';
import { buildListDatasetsArgv, parseDatasetList } from '../../../../../electron/services/zfs/datasets.ts';
import { fixture, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;
const root = 'tank/zrd-fixtures';

describe('zfs list -t filesystem,volume', () => {
  it('builds the argv the fixture was captured with', () => {
    expect(buildListDatasetsArgv(tools, { root })).toEqual([
      '/usr/sbin/zfs', 'list', '-H', '-p', '-t', 'filesystem,volume',
      '-o', 'name,type,guid,createtxg,creation,used,available,referenced,encryption,encryptionroot,keystatus,readonly,origin,receive_resume_token,mounted,mountpoint',
      '-r', root,
    ]);
    expect(buildListDatasetsArgv(tools, { root, depth: 0 }).slice(-3)).toEqual(['-d', '0', root]);
    expect(buildListDatasetsArgv(tools).at(-1)).toMatch(/,mounted,mountpoint$/);
  });

  const datasets = parseDatasetList(fixture('list-datasets.txt'));
  const byName = (name: string) => datasets.find((dataset) => dataset.name === `${root}/${name}`)!;

  it('reads every dataset of the fixture tree', () => {
    expect(datasets.map((dataset) => dataset.name.slice(root.length))).toEqual([
      '', '/clone', '/locked', '/many', '/names', '/partial', '/plain', '/received', '/secret', '/unicode props', '/vol', '/with space',
    ]);
  });

  it('reads a plain filesystem with exact numbers and its guid as text', () => {
    expect(byName('plain')).toEqual({
      name: 'tank/zrd-fixtures/plain',
      type: 'filesystem',
      guid: '12648629727389114822',
      createtxg: 126,
      creation: 1795313114,
      usedBytes: 2285568,
      availableBytes: 3886936064,
      referencedBytes: 2097152,
      encryption: 'off',
      encryptionRoot: null,
      keyStatus: null,
      readonly: false,
      origin: null,
      receiveResumeToken: null,
      mounted: true,
      mountpoint: '/zrd-fixtures/plain',
    });
  });

  it('keeps spaces and unicode in names and mountpoints', () => {
    expect(byName('with space').mountpoint).toBe('/zrd-fixtures/with space');
    expect(byName('unicode props').mountpoint).toBe('/zrd-fixtures/ünïcödé dir');
  });

  it('reads volumes, clones, encryption and an interrupted receive', () => {
    expect(byName('vol')).toMatchObject({ type: 'volume', mounted: null, mountpoint: null });
    expect(byName('clone').origin).toBe('tank/zrd-fixtures/plain@s2');
    expect(byName('secret')).toMatchObject({ encryption: 'aes-256-gcm', encryptionRoot: `${root}/secret`, keyStatus: 'available', mounted: true });
    expect(byName('locked')).toMatchObject({ encryption: 'aes-256-gcm', keyStatus: 'unavailable', mounted: false });
    expect(byName('partial').receiveResumeToken).toMatch(/^1-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/);
  });
});
