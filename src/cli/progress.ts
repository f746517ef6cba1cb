/**
 * Progress bars for long jobs (import, export, verify, bench), on stderr so stdout stays data: the share
 * done, items so far, their rate and the ETA. The bar measures whatever the job knows the total of
 * (bytes of a text file, rows of a binary one, files of a store), while the items and their rate are
 * always what a user counts (records, queries, files). Off unless stderr is a terminal or --progress.
 */
import cliProgress from 'cli-progress';
import { formatCount } from './format.js';

export interface ProgressOptions {
  enabled: boolean;
  label: string;
  /** The bar's total (bytes, rows, files); 0 when unknown. */
  total: number;
  /** What the items are called: 'records', 'queries', 'files'. */
  unit: string;
  /** Items done before this run (a resumed import): shown in the count, left out of the rate. */
  itemsBefore?: number;
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = performance.now();
  private items = 0;

  constructor(private readonly options: ProgressOptions) {
    if (!options.enabled) {
      this.bar = null;
      return;
    }
    this.bar = new cliProgress.SingleBar(
      {
        format: `${options.label.padEnd(9)} |{bar}| {percentage}% | {items} ${options.unit} | {rate} ${options.unit}/s | ETA {eta_formatted}`,
        stream: process.stderr,
        barsize: 24,
        hideCursor: true,
        etaBuffer: 50,
        fps: 8,
        noTTYOutput: true,
        notTTYSchedule: 2000,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(options.total, 1), 0, { items: '0', rate: '0' });
  }

  /** Moves the bar to `value` (of the total) with `items` done so far. */
  update(value: number, items: number): void {
    this.items = items;
    this.bar?.update(Math.min(value, Math.max(this.options.total, 1)), { items: formatCount(items), rate: formatCount(this.rate()) });
  }

  setTotal(total: number): void {
    this.options.total = total;
    this.bar?.setTotal(Math.max(total, 1));
  }

  /** Items per second since the start. */
  rate(): number {
    const seconds = (performance.now() - this.started) / 1000;
    return seconds > 0 ? (this.items - (this.options.itemsBefore ?? 0)) / seconds : 0;
  }

  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  stop(): void {
    this.bar?.stop();
  }
}
