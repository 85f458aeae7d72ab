/** The library version written into saved models (kept equal to package.json by a test). */
export const VERSION = '0.1.0';
/** Version of the saved-model format. Loading another version fails with a clear error. */
export const FORMAT_VERSION = 1;
