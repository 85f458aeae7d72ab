// The checksum of weights.bin that `file://` saves keep in the metadata (`weightsSha256`), checked
// at every load. WebCrypto's SHA-256, so it runs in Node and in browsers alike.
import { ModelFormatError } from '@ganomaly/common';

/** sha256 of the weights, hex: saved as `weightsSha256` in the metadata by `file://` saves. */
export async function weightsChecksum(data: ArrayBuffer): Promise<string | null> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Flipped bytes in the weights fail at load when the metadata holds their checksum (where the runtime can compute one). */
export async function checkWeightsChecksum(metadata: { weightsSha256?: unknown }, data: ArrayBuffer, where: string): Promise<void> {
  if (typeof metadata.weightsSha256 !== 'string') return;
  const sum = await weightsChecksum(data);
  if (sum !== null && sum !== metadata.weightsSha256) {
    throw new ModelFormatError(`The weights of the model at ${where} do not match the checksum saved with them (weightsSha256 in its metadata): weights.bin is damaged. Restore a good copy or retrain.`);
  }
}
