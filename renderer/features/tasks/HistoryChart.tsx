import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useThemeVersion } from '../../lib/theme.ts';
import { labelledRuns, runTickLabels, type HistoryColumns } from './history-data.ts';

// Bytes and duration per run, drawn by uPlot on a canvas: MiB sent as bars (left axis) and the duration as a line
// with points (right axis), one evenly spaced slot per run, oldest on the left, labelled with its start time (a time
// scale bunched runs minutes apart and let their labels overlap). Colours come from the theme's tokens and follow a
// theme change. The run list under it is the accessible form of the same figures.

function token(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

export function HistoryChart({ data, label }: { data: HistoryColumns; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const theme = useThemeVersion();
  const [width, setWidth] = useState(640);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(320, Math.floor(entry?.contentRect.width ?? 640))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = host.current;
    if (!el || data.x.length === 0) return;
    const text = token('--muted', '#556070');
    const grid = token('--border', '#d5dae1');
    const accent = token('--accent', '#1f6feb');
    const warn = token('--warn', '#8a5a00');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '12px system-ui, sans-serif' };
    const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
    const slots = data.x.map((_, i) => i);
    const chart = new uPlot(
      {
        width,
        height: 240,
        // The figures are in the table under the chart; a live legend only said "--" until hovered.
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
          mib: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
          s: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [
          {
            ...axis,
            grid: { show: false },
            size: 48,
            splits: (u) => labelledRuns(slots.length, u.bbox.width / devicePixelRatio),
            values: (_u, ticks) => runTickLabels(data.x, ticks),
          },
          { ...axis, scale: 'mib', label: 'MiB sent', labelFont: '12px system-ui, sans-serif', size: 60 },
          { ...axis, scale: 's', side: 1, label: 'seconds', labelFont: '12px system-ui, sans-serif', grid: { show: false }, size: 60 },
        ],
        series: [
          { label: 'Run' },
          { label: 'MiB sent', scale: 'mib', stroke: accent, fill: `${accent}55`, width: 1, ...(bars ? { paths: bars } : {}), points: { show: false } },
          { label: 'Duration (s)', scale: 's', stroke: warn, width: 2, dash: [6, 4], points: { show: true, size: 6, stroke: warn, fill: warn } },
        ],
      },
      [slots, data.mib, data.seconds],
      el,
    );
    return () => chart.destroy();
  }, [data, width, theme]);

  return (
    <div className="history-chart" ref={host} role="img" aria-label={label} data-testid="history-chart">
      {data.x.length === 0 ? <p className="muted">No runs yet.</p> : null}
    </div>
  );
}
