import { describe, expect, it } from 'vitest';
import { BackendError, useBackend } from '@ganomaly/common';
import { hasWebGL } from '@ganomaly/backend-webgl';

describe('backend webgl in Node', () => {
  it('is unavailable, and says so', async () => {
    expect(hasWebGL()).toBe(false);
    const err = await useBackend('webgl').catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/WebGL is not available here \(it needs a browser with WebGL enabled\)/);
  });
});
