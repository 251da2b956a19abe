#!/usr/bin/env node
// The `zfs-replication` command (package bin): runs the TypeScript CLI directly on Node 24, which strips types.
import { main } from '../electron/cli/zfs-replication.ts';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`zfs-replication needs Node 24 or newer (this is ${process.versions.node}).`);
  process.exit(2);
}
process.exit(await main(process.argv.slice(2)));
