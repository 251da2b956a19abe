import type { VerbResponse } from '../../../shared/contract.ts';

type Dataset = VerbResponse<'listDatasets'>[number];

export interface DatasetNode extends Dataset {
  /** The last component of the name ("2026" for tank/photos/2026). */
  label: string;
  children: DatasetNode[];
}

/** The flat `zfs list` output as a tree (children under their parent; a pool's root dataset is a root). O(n). */
export function datasetTree(datasets: readonly Dataset[]): DatasetNode[] {
  const nodes = new Map<string, DatasetNode>();
  for (const d of datasets) nodes.set(d.name, { ...d, label: d.name.slice(d.name.lastIndexOf('/') + 1), children: [] });
  const roots: DatasetNode[] = [];
  for (const node of nodes.values()) {
    const slash = node.name.lastIndexOf('/');
    const parent = slash > 0 ? nodes.get(node.name.slice(0, slash)) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const sort = (list: DatasetNode[]) => {
    list.sort((a, b) => a.name.localeCompare(b.name));
    for (const n of list) sort(n.children);
  };
  sort(roots);
  return roots;
}
