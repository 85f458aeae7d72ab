import type { Output } from './io.js';

/** m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** GANomaly's two losses, shown as G and D (its five named `losses` are not all shown) ... */
  generatorLoss?: number;
  discriminatorLoss?: number;
  /** ... or, without them, another detector's losses by name (shown under their names). */
  losses?: Record<string, number>;
}

/**
 * The per-epoch progress bar with ETA and running losses. On a terminal it is redrawn in place
 * (at most 10 times a second); otherwise (a log file, CI) it prints a line at every quarter of an
 * epoch, so logs stay short. Lines printed through `line` clear the bar first.
 */
export class ProgressBar {
  private shown = false;
  private lastDraw = 0;
  private epochStart = 0;
  private firstBatch = 0;
  private epoch = -1;
  private lastQuarter = -1;
  private sums = new Map<string, number>();
  private n = 0;

  constructor(
    private readonly out: Output,
    private readonly enabled: boolean,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(p: BatchProgress): void {
    if (!this.enabled) return;
    const t = this.now();
    if (p.epoch !== this.epoch) {
      this.epoch = p.epoch;
      // The rate is measured between batch ends, from the first one seen (a resumed epoch starts
      // at a later batch; the epoch's set-up time is not a batch's).
      this.epochStart = t;
      this.firstBatch = p.batch;
      this.lastQuarter = -1;
      this.sums.clear();
      this.n = 0;
    }
    const named = p.generatorLoss !== undefined ? { G: p.generatorLoss, D: p.discriminatorLoss ?? NaN } : (p.losses ?? {});
    for (const [k, x] of Object.entries(named)) this.sums.set(k, (this.sums.get(k) ?? 0) + x);
    this.n++;
    const intervals = p.batch - this.firstBatch;
    const perBatch = intervals > 0 ? (t - this.epochStart) / 1000 / intervals : NaN;
    const eta = perBatch * (p.batches - p.batch);
    const total = eta + perBatch * p.batches * (p.epochs - p.epoch);
    const frac = p.batch / p.batches;
    const losses = [...this.sums].map(([k, sum]) => `${k} ${(sum / this.n).toFixed(3)}`).join(' ');
    const head = `epoch ${p.epoch}/${p.epochs}`;
    const tail = `${p.batch}/${p.batches}  ETA ${formatDuration(eta)}${p.epoch < p.epochs ? ` (all ${formatDuration(total)})` : ''}  ${losses}`;
    if (this.out.isTTY) {
      if (t - this.lastDraw < 100 && p.batch < p.batches) return;
      this.lastDraw = t;
      const width = Math.max(10, Math.min(30, (this.out.columns ?? 100) - head.length - tail.length - 10));
      const filled = Math.round(frac * width);
      const line = `${head} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${tail}`;
      // Never wider than the terminal: a wrapped line cannot be redrawn in place.
      this.out.write(`\r\x1b[2K${line.slice(0, Math.max(20, (this.out.columns ?? 100) - 1))}`);
      this.shown = true;
    } else {
      const quarter = Math.floor(frac * 4);
      if (quarter > this.lastQuarter && quarter < 4) {
        this.lastQuarter = quarter;
        this.out.write(`${head} ${String(Math.floor(frac * 100)).padStart(3)}% ${tail}\n`);
      }
    }
  }

  /** Prints a line (an epoch summary, a warning) below the bar. */
  line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  clear(): void {
    if (this.shown && this.out.isTTY) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** "loading images 120/500" on a terminal, redrawn; nothing otherwise (the summary line follows). */
export function countProgress(out: Output, label: string, enabled: boolean): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    if (!enabled || !out.isTTY || total < 50) return;
    const t = performance.now();
    if (t - last < 100 && done < total) return;
    last = t;
    out.write(`\r\x1b[2K${label} ${done}/${total}`);
    if (done >= total) out.write('\r\x1b[2K');
  };
}
