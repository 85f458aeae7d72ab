// The TensorBoard log a fit writes to (node-tensorboard.ts opens one on tfjs-node), and how it
// joins the fit's own callbacks. Browser-safe: the Node part is reached through node-parts.ts.
import type { BatchLogs, EpochLogs } from './types.js';

/** The callbacks a fit calls, and `close` for its end. */
export interface TensorBoardLog {
  onBatchEnd(logs: BatchLogs): void;
  onEpochEnd(logs: EpochLogs): void;
  /** Writes what is queued to the event file. */
  close(): void;
}

/** `options` with the log's callbacks run after the caller's own. */
export function withTensorBoard<T extends { onBatchEnd?: (l: BatchLogs) => void | Promise<void>; onEpochEnd?: (l: EpochLogs) => void | Promise<void> }>(options: T, log: TensorBoardLog): T {
  return {
    ...options,
    onBatchEnd: async (l: BatchLogs) => {
      await options.onBatchEnd?.(l);
      log.onBatchEnd(l);
    },
    onEpochEnd: async (l: EpochLogs) => {
      await options.onEpochEnd?.(l);
      log.onEpochEnd(l);
    },
  };
}
