import { describe, expect, it } from 'vitest';
import { datasetTree } from '../../../renderer/features/datasets/dataset-tree.ts';
import { worstTaskState } from '../../../renderer/features/fleet/task-summary.ts';

const ds = (name: string, type: 'filesystem' | 'volume' = 'filesystem') => ({
  name, type, guid: '1', createtxg: 1, creation: 0, usedBytes: 1, availableBytes: 1, referencedBytes: 1, encryption: 'off', encryptionRoot: null,
  keyStatus: null, readonly: false, origin: null, receiveResumeToken: null, mounted: type === 'volume' ? null : true, mountpoint: null,
});

describe('dataset tree', () => {
  it('nests datasets under their parents, pools as roots, sorted by name', () => {
    const tree = datasetTree([ds('tank/photos/2026'), ds('tank'), ds('tank/my documents'), ds('backup'), ds('tank/photos'), ds('tank/vm-disk', 'volume')]);
    expect(tree.map((n) => n.name)).toEqual(['backup', 'tank']);
    const tank = tree[1]!;
    expect(tank.children.map((n) => n.label)).toEqual(['my documents', 'photos', 'vm-disk']);
    expect(tank.children[1]!.children.map((n) => n.name)).toEqual(['tank/photos/2026']);
  });

  it('keeps a dataset whose parent is not listed as a root (listing under a root)', () => {
    expect(datasetTree([ds('tank/a/b'), ds('tank/a/b/c')]).map((n) => n.name)).toEqual(['tank/a/b']);
  });

  it('builds 20,000 datasets quickly (linear)', () => {
    const list = Array.from({ length: 20_000 }, (_, i) => ds(`tank/d${Math.floor(i / 100)}${i % 100 === 0 ? '' : `/c${i}`}`));
    const started = performance.now();
    const tree = datasetTree(list);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(tree).toHaveLength(200);
  });
});

describe('worst task state', () => {
  const entry = (state: 'PENDING' | 'RUNNING' | 'FINISHED' | 'FAILED') => ({ state }) as never;
  it('orders FAILED over RUNNING over PENDING over FINISHED', () => {
    expect(worstTaskState([])).toBeNull();
    expect(worstTaskState([entry('FINISHED'), entry('PENDING')])).toBe('PENDING');
    expect(worstTaskState([entry('RUNNING'), entry('FAILED'), entry('FINISHED')])).toBe('FAILED');
  });
});
