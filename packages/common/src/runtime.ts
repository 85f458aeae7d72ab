/** Whether this runtime is Node (process.versions.node is set; worker_threads and node: modules exist). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node === 'string';
}
