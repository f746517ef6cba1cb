/**
 * The map's canvas: points at their layout coordinates (in [-1, 1]), drawn once per change; hover finds
 * the nearest point within a few pixels through a grid over screen space, so 50,000 points stay responsive.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';

const PADDING = 16;
/** Point sizes in pixels: small maps get larger points, so a few hundred records are easy to see and hit. */
const pointSize = (count: number) => (count <= 1_000 ? 7 : count <= 5_000 ? 4 : 3);
const HOVER_RADIUS = 8;

interface Props {
  coordinates: Float32Array;
  colours: string[];
  onHover: (index: number | null, at: { x: number; y: number } | null) => void;
  onPick: (index: number) => void;
  highlighted: number | null;
}

export function MapCanvas({ coordinates, colours, onHover, onPick, highlighted }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const count = coordinates.length / 2;

  useEffect(() => {
    const element = canvas.current!.parentElement!;
    const observer = new ResizeObserver(() => setSize({ width: element.clientWidth, height: Math.max(400, Math.min(800, Math.round(element.clientWidth * 0.7))) }));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // screen positions and a grid of cells HOVER_RADIUS wide over them
  const screen = useMemo(() => {
    const side = Math.min(size.width, size.height) / 2 - PADDING;
    const cx = size.width / 2;
    const cy = size.height / 2;
    const xs = new Float32Array(count);
    const ys = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      xs[i] = cx + coordinates[2 * i] * side;
      ys[i] = cy - coordinates[2 * i + 1] * side;
    }
    const columns = Math.ceil(size.width / HOVER_RADIUS) + 1;
    const cells = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const cell = Math.floor(ys[i] / HOVER_RADIUS) * columns + Math.floor(xs[i] / HOVER_RADIUS);
      const list = cells.get(cell);
      if (list) list.push(i);
      else cells.set(cell, [i]);
    }
    return { xs, ys, cells, columns };
  }, [coordinates, size]);

  useEffect(() => {
    const element = canvas.current!;
    const ratio = window.devicePixelRatio || 1;
    element.width = size.width * ratio;
    element.height = size.height * ratio;
    element.style.width = `${size.width}px`;
    element.style.height = `${size.height}px`;
    const context = element.getContext('2d')!;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, size.width, size.height);
    context.globalAlpha = count > 20_000 ? 0.6 : 0.8;
    // one fill style change per colour run: sort indices by colour
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => (colours[a] < colours[b] ? -1 : colours[a] > colours[b] ? 1 : 0));
    let current = '';
    const point = pointSize(count);
    for (const i of order) {
      if (colours[i] !== current) {
        current = colours[i];
        context.fillStyle = current;
      }
      context.fillRect(screen.xs[i] - point / 2, screen.ys[i] - point / 2, point, point);
    }
    if (highlighted !== null && highlighted < count) {
      context.globalAlpha = 1;
      context.strokeStyle = '#111';
      context.lineWidth = 2;
      context.beginPath();
      context.arc(screen.xs[highlighted], screen.ys[highlighted], 6, 0, 2 * Math.PI);
      context.stroke();
    }
  }, [screen, colours, highlighted]);

  const nearest = (event: MouseEvent): number | null => {
    const rect = canvas.current!.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const column = Math.floor(x / HOVER_RADIUS);
    const row = Math.floor(y / HOVER_RADIUS);
    let best: number | null = null;
    let bestDistance = HOVER_RADIUS * HOVER_RADIUS;
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        for (const i of screen.cells.get((row + dr) * screen.columns + column + dc) ?? []) {
          const d = (screen.xs[i] - x) ** 2 + (screen.ys[i] - y) ** 2;
          if (d <= bestDistance) {
            bestDistance = d;
            best = i;
          }
        }
      }
    }
    return best;
  };

  return (
    <canvas
      ref={canvas}
      class="map-canvas"
      data-testid="map-canvas"
      onMouseMove={(e) => {
        const i = nearest(e);
        onHover(i, i === null ? null : { x: screen.xs[i], y: screen.ys[i] });
      }}
      onMouseLeave={() => onHover(null, null)}
      onClick={(e) => {
        const i = nearest(e);
        if (i !== null) onPick(i);
      }}
    />
  );
}
