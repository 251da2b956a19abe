import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { describeReason, guardReasonKinds, type RetentionDecision } from '../../../shared/retention.ts';
import { formatInZone } from '../../../shared/time-zone.ts';
import { useThemeVersion } from '../../lib/theme.ts';
import { timeTicks } from './time-ticks.ts';

// The retention timeline: x = time, one mark per snapshot, drawn on a canvas so 100,000 marks redraw in a few
// milliseconds (one path per kind of mark, no DOM per snapshot). Never colour alone: each fate has its own lane
// AND its own shape (kept: a bar in the top lane; guarded: a diamond in the middle lane; pruned: a cross in the
// bottom lane), the lanes are labelled, and the keyboard (Left/Right, Home/End) walks the snapshots, announcing
// each one's name, fate and reason.

export interface TimelineSeries {
  /** "nas-a tank/docs (source)". */
  label: string;
  decisions: readonly RetentionDecision[];
}

export interface TimelineProps {
  series: readonly TimelineSeries[];
  timeZone: string;
  taskName?: (id: string) => string;
  /** Set after each draw, for the benchmark: how long the last redraw took (ms). */
  onDrawn?: (ms: number) => void;
  testId?: string;
}

type Lane = 'keep' | 'guard' | 'prune';
const laneOf = (d: RetentionDecision): Lane => (d.fate === 'prune' ? 'prune' : guardReasonKinds.has(d.reason.kind) ? 'guard' : 'keep');
const laneLabels: Record<Lane, string> = { keep: 'kept by the policy', guard: 'kept by a guard', prune: 'pruned' };
const LANE_H = 22;
const SERIES_GAP = 26;
const LEFT = 150;

function cssVar(element: Element, name: string, fallback: string): string {
  return getComputedStyle(element).getPropertyValue(name).trim() || fallback;
}

export function Timeline({ series, timeZone, taskName, onDrawn, testId }: TimelineProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [cursor, setCursor] = useState<{ series: number; index: number } | null>(null);
  const [hover, setHover] = useState<{ x: number; y: number; text: string } | null>(null);

  const range = useMemo(() => {
    let min = Infinity;
    let max = -Infinity;
    for (const s of series) for (const d of s.decisions) if (d.time !== null) {
      if (d.time < min) min = d.time;
      if (d.time > max) max = d.time;
    }
    if (!Number.isFinite(min)) return null;
    const pad = Math.max(3_600_000, (max - min) * 0.02);
    return { min: min - pad, max: max + pad };
  }, [series]);

  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(320, Math.floor(wrap.clientWidth))));
    observer.observe(wrap);
    return () => observer.disconnect();
  }, []);

  const theme = useThemeVersion();
  const height = series.length * (3 * LANE_H + SERIES_GAP) + 24;
  const xOf = (time: number) => (range ? LEFT + ((time - range.min) / (range.max - range.min)) * (width - LEFT - 12) : LEFT);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const started = performance.now();
    const ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const colors = {
      text: cssVar(canvas, '--muted', '#556070'),
      grid: cssVar(canvas, '--border', '#d5dae1'),
      keep: cssVar(canvas, '--ok', '#166c2f'),
      guard: cssVar(canvas, '--info', '#1f5fbf'),
      prune: cssVar(canvas, '--fail', '#b42318'),
      cursor: cssVar(canvas, '--accent', '#1f6feb'),
    };
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    series.forEach((s, si) => {
      const top = si * (3 * LANE_H + SERIES_GAP);
      ctx.fillStyle = colors.text;
      ctx.fillText(s.label, 4, top + 8);
      const lanes: Lane[] = ['keep', 'guard', 'prune'];
      lanes.forEach((lane, li) => {
        const y = top + 16 + li * LANE_H + LANE_H / 2;
        ctx.fillStyle = colors.text;
        ctx.fillText(laneLabels[lane], 12, y);
        ctx.strokeStyle = colors.grid;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(LEFT, y);
        ctx.lineTo(width - 12, y);
        ctx.stroke();
      });
      // One path per lane: 100,000 marks are three strokes.
      const paths: Record<Lane, Path2D> = { keep: new Path2D(), guard: new Path2D(), prune: new Path2D() };
      // A mark per pixel column and lane is enough: 100,000 marks on 1,000 pixels would draw each column 100 times.
      const drawn: Record<Lane, Uint8Array> = { keep: new Uint8Array(width + 2), guard: new Uint8Array(width + 2), prune: new Uint8Array(width + 2) };
      for (const d of s.decisions) {
        if (d.time === null) continue;
        const lane = laneOf(d);
        const column = Math.round(xOf(d.time));
        if (drawn[lane][column]) continue;
        drawn[lane][column] = 1;
        const x = column + 0.5;
        const y = top + 16 + (lane === 'keep' ? 0 : lane === 'guard' ? 1 : 2) * LANE_H + LANE_H / 2;
        const p = paths[lane];
        if (lane === 'keep') {
          p.moveTo(x, y - 7);
          p.lineTo(x, y + 7);
        } else if (lane === 'guard') {
          p.moveTo(x, y - 6);
          p.lineTo(x + 4, y);
          p.lineTo(x, y + 6);
          p.lineTo(x - 4, y);
          p.closePath();
        } else {
          p.moveTo(x - 3.5, y - 3.5);
          p.lineTo(x + 3.5, y + 3.5);
          p.moveTo(x + 3.5, y - 3.5);
          p.lineTo(x - 3.5, y + 3.5);
        }
      }
      ctx.lineWidth = 1.5;
      for (const lane of ['keep', 'guard', 'prune'] as const) {
        ctx.strokeStyle = colors[lane];
        ctx.stroke(paths[lane]);
      }
    });
    // Time axis: ticks at round times of the zone (every 6 hours, every day, every Monday…), as many as their
    // labels fit (measured), each labelled as precisely as its step needs.
    if (range) {
      ctx.fillStyle = colors.text;
      ctx.strokeStyle = colors.grid;
      ctx.lineWidth = 1;
      const plot = width - LEFT - 12;
      const labelWidth = ctx.measureText('12-31 23:00').width + 28;
      const axisY = height - 20;
      let lastRight = -Infinity;
      for (const tick of timeTicks(range.min, range.max, timeZone, Math.max(1, Math.floor(plot / labelWidth)))) {
        const x = Math.round(xOf(tick.at)) + 0.5;
        const w = ctx.measureText(tick.label).width;
        // Centred on its tick, kept inside the plot; one that would touch its neighbour is left out.
        const left = Math.min(width - 12 - w, Math.max(LEFT - 4, x - w / 2));
        if (left < lastRight + 12) continue;
        ctx.beginPath();
        ctx.moveTo(x, axisY - 4);
        ctx.lineTo(x, axisY + 1);
        ctx.stroke();
        ctx.textAlign = 'left';
        ctx.fillText(tick.label, left, height - 8);
        lastRight = left + w;
      }
      ctx.textAlign = 'left';
    }
    if (cursor) {
      const d = series[cursor.series]?.decisions[cursor.index];
      if (d?.time != null) {
        ctx.strokeStyle = colors.cursor;
        ctx.lineWidth = 2;
        const x = xOf(d.time);
        const top = cursor.series * (3 * LANE_H + SERIES_GAP) + 14;
        ctx.strokeRect(x - 6, top, 12, 3 * LANE_H + 4);
      }
    }
    const drawMs = performance.now() - started;
    // For the benchmark (bench/ui.bench.ts) and curious admins: how long the last redraw took.
    canvas.dataset.drawMs = drawMs.toFixed(2);
    onDrawn?.(drawMs);
    // theme: the colours are read from the theme's tokens at each draw; a theme change draws again.
  }, [series, width, height, range, cursor, timeZone, onDrawn, theme]);

  const describe = (d: RetentionDecision) => `${d.name}${d.time === null ? '' : `, ${formatInZone(d.time, timeZone)}`}: ${d.fate === 'prune' ? 'pruned' : 'kept'} — ${describeReason(d.reason, { timeZone, ...(taskName ? { taskName } : {}) })}`;
  const active = cursor ? series[cursor.series]?.decisions[cursor.index] : undefined;

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const s = cursor?.series ?? 0;
    const list = series[s]?.decisions ?? [];
    if (list.length === 0) return;
    const i = cursor?.index ?? -1;
    const move = (index: number, serie = s) => {
      event.preventDefault();
      const count = series[serie]?.decisions.length ?? 0;
      if (count > 0) setCursor({ series: serie, index: Math.max(0, Math.min(count - 1, index)) });
    };
    if (event.key === 'ArrowRight') move(i + 1);
    else if (event.key === 'ArrowLeft') move(i <= 0 ? 0 : i - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(list.length - 1);
    else if (event.key === 'PageDown') move(i + Math.ceil(list.length / 20));
    else if (event.key === 'PageUp') move(i - Math.ceil(list.length / 20));
    else if (event.key === 'ArrowDown' && s + 1 < series.length) move(Math.min(i, (series[s + 1]?.decisions.length ?? 1) - 1), s + 1);
    else if (event.key === 'ArrowUp' && s > 0) move(Math.min(i, (series[s - 1]?.decisions.length ?? 1) - 1), s - 1);
  };

  const onMove = (event: React.MouseEvent<HTMLCanvasElement>) => {
    if (!range) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const si = Math.min(series.length - 1, Math.max(0, Math.floor(y / (3 * LANE_H + SERIES_GAP))));
    const list = series[si]?.decisions ?? [];
    let best = -1;
    let bestDx = 8;
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!.time;
      if (t === null) continue;
      const dx = Math.abs(xOf(t) - x);
      if (dx < bestDx) {
        bestDx = dx;
        best = i;
      }
    }
    setHover(best >= 0 ? { x, y, text: describe(list[best]!) } : null);
  };

  return (
    <div className="timeline" ref={wrapRef} {...(testId ? { 'data-testid': testId } : {})}>
      <canvas
        ref={canvasRef}
        style={{ width, height }}
        tabIndex={0}
        role="img"
        aria-label={`Timeline of ${series.map((s) => `${s.label}: ${s.decisions.length} snapshots, ${s.decisions.filter((d) => d.fate === 'prune').length} pruned`).join('; ')}. Use the arrow keys to walk the snapshots.`}
        onKeyDown={onKeyDown}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
      />
      {hover ? (
        <div className="timeline-tooltip" style={{ left: Math.min(hover.x + 12, width - 320), top: hover.y + 12 }}>
          {hover.text}
        </div>
      ) : null}
      <p className="timeline-cursor" aria-live="polite" data-testid="timeline-cursor">
        {active ? describe(active) : 'Focus the timeline and use Left/Right to read each snapshot and its reason.'}
      </p>
    </div>
  );
}
