import { useMemo, type KeyboardEvent } from 'react';
import { openTask } from './open-run.ts';
import type { TaskRow } from './TaskDashboard.tsx';
import { edgeHealth, healthWords, layoutTopology, nodeSize, type EdgeHealth } from './topology.ts';
import { useTasks } from './tasks-store.ts';

// The fleet as a map: each NAS a box, each task an arrow from its source to its destination labelled with its
// datasets and its health — in colour, in the arrow's dash pattern and in words — so "what protects what, and what
// is late" reads at a glance. Each arrow is a link (Tab to it, Enter opens the task).

const legend: EdgeHealth[] = ['ok', 'running', 'pending', 'late', 'stale', 'failed'];

export function TopologyMap({ rows }: { rows: readonly TaskRow[] }) {
  const connections = useTasks((s) => s.connections);
  const layout = useMemo(() => {
    const used = new Set(rows.flatMap((r) => [r.entry.task.sourceConnectionId, r.entry.task.destinationConnectionId]));
    // Every saved NAS is on the map (one that no task uses shows it is unprotected), plus any NAS a task names.
    const nodes = connections.map((c) => ({ id: c.id, name: c.name }));
    for (const id of used) if (!nodes.some((n) => n.id === id)) nodes.push({ id, name: 'forgotten NAS' });
    const tasks = rows.map((r) => ({
      id: r.id,
      name: r.name,
      sourceId: r.entry.task.sourceConnectionId,
      destinationId: r.entry.task.destinationConnectionId,
      datasets: r.entry.task.sources.map((s) => s.name).join(', '),
      health: edgeHealth(r.state.state, r.lag.level),
    }));
    const height = Math.max(380, Math.min(640, 200 + nodes.length * 50));
    return layoutTopology(nodes, tasks, 960, height);
  }, [rows, connections]);

  const onKey = (event: KeyboardEvent, taskId: string) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      openTask(taskId);
    }
  };

  return (
    <figure className="topology" data-testid="topology">
      <svg viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-label="Map of the fleet: NAS boxes and the replication tasks between them" className="topology-svg">
        <defs>
          {legend.map((h) => (
            <marker key={h} id={`arrow-${h}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse" className={`edge-marker health-${h}`}>
              <path d="M 0 0 L 10 5 L 0 10 z" />
            </marker>
          ))}
        </defs>
        {layout.nodes.map((n) => (
          <g key={n.id} className="topology-node" transform={`translate(${n.x - nodeSize.width / 2} ${n.y - nodeSize.height / 2})`}>
            <rect width={nodeSize.width} height={nodeSize.height} rx="8" />
            <text x={nodeSize.width / 2} y={nodeSize.height / 2 + 5} textAnchor="middle">
              {n.name}
            </text>
          </g>
        ))}
        {layout.edges.map((e) => (
          <g
            key={e.id}
            className={`topology-edge health-${e.health}`}
            role="link"
            tabIndex={0}
            data-task-id={e.id}
            onClick={() => openTask(e.id)}
            onKeyDown={(event) => onKey(event, e.id)}
          >
            {/* Named by its visible label (WCAG 2.5.3: no aria-label or <title> that differs from what is shown). */}
            {/* A wide transparent stroke makes the arrow easy to click. */}
            <path d={e.path} className="edge-hit" />
            <path d={e.path} className="edge-line" markerEnd={`url(#arrow-${e.health})`} />
            <g transform={`translate(${e.labelX} ${e.labelY})`} className="edge-label">
              <rect x={-110} y={-20} width={220} height={38} rx="6" />
              <text y={-5} textAnchor="middle" className="edge-label-name">
                {truncate(e.name, 30)} · {healthWords[e.health]}
              </text>
              <text y={11} textAnchor="middle" className="edge-label-datasets">
                {truncate(e.datasets, 34)}
              </text>
            </g>
          </g>
        ))}
      </svg>
      <figcaption className="topology-legend">
        {legend.map((h) => (
          <span key={h} className={`legend-item health-${h}`}>
            <svg width="36" height="10" aria-hidden="true">
              <line x1="2" y1="5" x2="34" y2="5" className="edge-line" />
            </svg>
            {legendWords[h]}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

const legendWords: Record<EdgeHealth, string> = {
  ok: 'OK: last run finished, on time',
  running: 'running now',
  pending: 'never run',
  late: 'late: a run or two missed',
  stale: 'stale: far behind its schedule',
  failed: 'last run failed',
};

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
