import { describe, expect, it } from 'vitest';
import { delegationPlan } from '../../../../../electron/services/ssh/zfs-delegation.ts';

describe('delegationPlan', () => {
  it('prints the minimal zfs allow lines for each side', () => {
    const plan = delegationPlan({ sourceUser: 'delegate', sourceDataset: 'tank/data', destinationUser: 'delegate', destinationDataset: 'backup/nas-a' });
    expect(plan.source.command).toBe('zfs allow -u delegate send,snapshot,hold,release,bookmark,userprop,destroy,mount tank/data');
    expect(plan.destination.command).toBe('zfs allow -u delegate create,mount,receive,rollback,destroy,userprop,hold,release backup/nas-a');
    expect(plan.revoke.source).toBe('zfs unallow -u delegate send,snapshot,hold,release,bookmark,userprop,destroy,mount tank/data');
    expect(plan.notes.join(' ')).toMatch(/receive -u/);
  });

  it('can leave out pruning and holds, and add received properties', () => {
    const plan = delegationPlan({
      sourceUser: 'repl',
      sourceDataset: 'tank',
      destinationUser: 'repl',
      destinationDataset: 'backup',
      pruneSource: false,
      holdOnDestination: false,
      receivedProperties: ['compression', 'recordsize', 'compression'],
    });
    expect(plan.source.permissions).toEqual(['send', 'snapshot', 'hold', 'release', 'bookmark', 'userprop']);
    expect(plan.destination.permissions).toEqual(['create', 'mount', 'receive', 'rollback', 'destroy', 'userprop', 'compression', 'recordsize']);
  });

  it('quotes a dataset with a space and refuses bad names and users', () => {
    expect(delegationPlan({ sourceUser: 'a', sourceDataset: 'tank/my data', destinationUser: 'a', destinationDataset: 'backup' }).source.command).toContain("'tank/my data'");
    expect(() => delegationPlan({ sourceUser: '-oops', sourceDataset: 'tank', destinationUser: 'a', destinationDataset: 'backup' })).toThrow();
    expect(() => delegationPlan({ sourceUser: 'a', sourceDataset: 'tank/$(x)', destinationUser: 'a', destinationDataset: 'backup' })).toThrow();
    expect(() => delegationPlan({ sourceUser: 'a', sourceDataset: 'tank', destinationUser: 'a', destinationDataset: 'backup', receivedProperties: ['x;y'] })).toThrow();
  });
});
