import type { LagLevel } from './task-overview.ts';

// The fleet map's geometry, as pure functions: NAS boxes on a circle (two side by side), each task an arrow from
// its source NAS to its destination NAS — arrows between the same pair bow apart so none hides another — with its
// label at the arrow's middle. Health is colour AND dash pattern AND a word in the label.

export interface TopologyNode {
  id: string;
  name: string;
}

export interface TopologyTask {
  id: string;
  name: string;
  sourceId: string;
  destinationId: string;
  datasets: string;
  health: EdgeHealth;
}

export type EdgeHealth = 'ok' | 'running' | 'pending' | 'late' | 'failed' | 'stale';

export const healthWords: Record<EdgeHealth, string> = {
  ok: 'OK',
  running: 'running',
  pending: 'never run',
  late: 'late',
  failed: 'FAILED',
  stale: 'stale',
};

/** Health of an arrow: failure first, then a run in progress, then the lag. */
export function edgeHealth(state: 'PENDING' | 'RUNNING' | 'FINISHED' | 'FAILED', lag: LagLevel): EdgeHealth {
  if (state === 'FAILED') return 'failed';
  if (state === 'RUNNING') return 'running';
  if (lag === 'stale') return 'stale';
  if (lag === 'late') return 'late';
  if (state === 'PENDING') return 'pending';
  return 'ok';
}

export interface PlacedNode extends TopologyNode {
  x: number;
  y: number;
}

export interface PlacedEdge extends TopologyTask {
  /** SVG path data of the arrow. */
  path: string;
  labelX: number;
  labelY: number;
}

export interface TopologyLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

/** Node box size (the view draws boxes of this size centred on x, y). */
export const nodeSize = { width: 150, height: 46 } as const;

export function layoutTopology(nodes: readonly TopologyNode[], tasks: readonly TopologyTask[], width = 900, height = 480): TopologyLayout {
  const cx = width / 2;
  const cy = height / 2;
  const placed: PlacedNode[] =
    nodes.length === 1
      ? [{ ...nodes[0]!, x: cx, y: cy }]
      : nodes.length === 2
        ? nodes.map((n, i) => ({ ...n, x: i === 0 ? width * 0.2 : width * 0.8, y: cy }))
        : nodes.map((n, i) => {
            const angle = -Math.PI / 2 + (2 * Math.PI * i) / nodes.length;
            return { ...n, x: cx + Math.cos(angle) * (width / 2 - nodeSize.width * 0.7), y: cy + Math.sin(angle) * (height / 2 - nodeSize.height * 1.2) };
          });
  const at = new Map(placed.map((n) => [n.id, n]));

  // Arrows between the same two NAS (either direction) are numbered so each bows out by its own amount.
  const pairCount = new Map<string, number>();
  const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const edges: PlacedEdge[] = [];
  for (const task of tasks) {
    const from = at.get(task.sourceId);
    const to = at.get(task.destinationId);
    if (!from || !to) continue;
    const key = pairKey(task.sourceId, task.destinationId);
    const index = pairCount.get(key) ?? 0;
    pairCount.set(key, index + 1);
    edges.push({ ...task, ...(from === to ? loopPath(from, index) : arcPath(from, to, index, task.sourceId < task.destinationId)) });
  }
  return { width, height, nodes: placed, edges };
}

/** Offsets 0, +1, -1, +2, -2 … (in steps of 80 px: a label's height and a margin) for the n-th arrow of a pair. */
export function bowOf(index: number): number {
  if (index === 0) return 0;
  const step = Math.ceil(index / 2);
  return (index % 2 === 1 ? 1 : -1) * step * 80;
}

function arcPath(from: PlacedNode, to: PlacedNode, index: number, canonical: boolean) {
  // Start and end at the boxes' edges, not their centres.
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length;
  const uy = dy / length;
  const clip = (node: PlacedNode, sign: number) => {
    const tx = ux === 0 ? Infinity : nodeSize.width / 2 / Math.abs(ux);
    const ty = uy === 0 ? Infinity : nodeSize.height / 2 / Math.abs(uy);
    const t = Math.min(tx, ty) + 6;
    return { x: node.x + sign * ux * t, y: node.y + sign * uy * t };
  };
  const a = clip(from, 1);
  const b = clip(to, -1);
  // The bow is measured on the pair's own axis, so A->B and B->A with the same index do not overlap.
  const bow = bowOf(index) * (canonical ? 1 : -1);
  const mx = (a.x + b.x) / 2 - uy * bow;
  const my = (a.y + b.y) / 2 + ux * bow;
  // Quadratic curve through (mx, my) at t = 0.5: control point = 2m - (a + b) / 2.
  const qx = 2 * mx - (a.x + b.x) / 2;
  const qy = 2 * my - (a.y + b.y) / 2;
  return { path: `M ${r(a.x)} ${r(a.y)} Q ${r(qx)} ${r(qy)} ${r(b.x)} ${r(b.y)}`, labelX: r(mx), labelY: r(my) };
}

function loopPath(node: PlacedNode, index: number) {
  const top = node.y - nodeSize.height / 2;
  const spread = 40 + index * 18;
  const rise = 60 + index * 30;
  const path = `M ${r(node.x - 20)} ${r(top - 4)} C ${r(node.x - spread)} ${r(top - rise)} ${r(node.x + spread)} ${r(top - rise)} ${r(node.x + 20)} ${r(top - 4)}`;
  return { path, labelX: r(node.x), labelY: r(top - rise * 0.75) };
}

const r = (v: number) => Math.round(v * 10) / 10;
