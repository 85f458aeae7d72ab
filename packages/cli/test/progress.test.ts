import { describe, expect, it } from 'vitest';
import { ProgressBar, formatDuration } from '@ganomaly/cli';

function sink(isTTY: boolean) {
  const out = { text: '', isTTY, columns: 120, write: (s: string) => void (out.text += s) };
  return out;
}

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(61.4)).toBe('1:01');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
  });

  it('on a terminal: one line redrawn in place, with percentage, ETA from the measured rate and running mean losses', () => {
    const out = sink(true);
    let t = 0;
    const bar = new ProgressBar(out, true, () => t);
    // 10 batches per epoch, 2 s each, 3 epochs.
    for (let b = 1; b <= 4; b++) {
      t += 2000;
      bar.update({ epoch: 1, epochs: 3, batch: b, batches: 10, generatorLoss: b, discriminatorLoss: 1 });
    }
    const frames = out.text.split('\r\x1b[2K').filter(Boolean);
    expect(frames).toHaveLength(4);
    expect(out.text).not.toContain('\n');
    // After 4 batches in 8 s: 6 batches left in this epoch (12 s), plus 2 epochs of 20 s.
    expect(frames[3]).toMatch(/^epoch 1\/3 \[#+\.+\] {2}40% 4\/10 {2}ETA 0:12 \(all 0:52\) {2}G 2\.500 D 1\.000$/);
    bar.line('epoch 1/3 done');
    expect(out.text.endsWith('\r\x1b[2Kepoch 1/3 done\n')).toBe(true);
  });

  it('in a log: a line at each quarter of an epoch, nothing when disabled', () => {
    const out = sink(false);
    let t = 0;
    const bar = new ProgressBar(out, true, () => t);
    for (let b = 1; b <= 20; b++) {
      t += 100;
      bar.update({ epoch: 2, epochs: 2, batch: b, batches: 20, generatorLoss: 1, discriminatorLoss: 1 });
    }
    const lines = out.text.trim().split('\n');
    expect(lines.map((l) => l.match(/(\d+)%/)![1])).toEqual(['5', '25', '50', '75']);
    expect(lines[0]).not.toContain('(all'); // the last epoch has no overall ETA
    const quiet = sink(false);
    new ProgressBar(quiet, false).update({ epoch: 1, epochs: 1, batch: 1, batches: 2, generatorLoss: 1, discriminatorLoss: 1 });
    expect(quiet.text).toBe('');
  });
});
