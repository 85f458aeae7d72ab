// Internal tensor checks shared by losses.ts and score.ts (not re-exported).
import * as tf from '@tensorflow/tfjs-core';
import { fail, failWith } from '@ganomaly/common';

/**
 * Checks that `value` is a live float32 tensor with at least one element. float32 only: an
 * int32 tensor here is almost always raw pixels or labels passed by mistake.
 */
export function checkFloatTensor(value: unknown, arg: string, fn: string): tf.Tensor {
  if (!(value instanceof tf.Tensor)) fail(arg, fn, 'a tf.Tensor', value);
  if (value.isDisposed) failWith(arg, fn, 'a live tf.Tensor', 'a disposed Tensor');
  if (value.dtype !== 'float32') fail(arg, fn, 'a float32 Tensor', value);
  if (value.size === 0) fail(arg, fn, 'a Tensor with at least one element', value);
  return value;
}

/** Checks that `b` has exactly the shape of `a`; the message names both arguments. */
export function checkSameShape(a: tf.Tensor, aArg: string, b: tf.Tensor, bArg: string, fn: string): void {
  const same = a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
  if (!same) fail(bArg, fn, `a Tensor of the same shape as '${aArg}' ([${a.shape.join(',')}])`, b);
}

/** Checks that `value` is a float32 scalar (rank 0) tensor. */
export function checkScalar(value: unknown, arg: string, fn: string): tf.Scalar {
  const t = checkFloatTensor(value, arg, fn);
  if (t.rank !== 0) fail(arg, fn, 'a float32 scalar Tensor (rank 0)', t);
  return t as tf.Scalar;
}
