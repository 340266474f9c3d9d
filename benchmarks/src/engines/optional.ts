/**
 * One job: load a peer's npm package on demand, so a missing optional dependency makes that peer
 * "skipped: <reason>" instead of breaking the suite.
 */

/** The module, or the reason it cannot be loaded. */
export async function loadOptional<T>(name: string): Promise<{ readonly module: T } | { readonly reason: string }> {
  try {
    return { module: (await import(name)) as T };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { reason: `npm package ${name} cannot be loaded (optional dependency; run pnpm install): ${message}` };
  }
}

/** The module, or throws with the reason (for open(), after unavailableReason() said yes). */
export async function requireOptional<T>(name: string): Promise<T> {
  const loaded = await loadOptional<T>(name);
  if ('reason' in loaded) throw new Error(loaded.reason);
  return loaded.module;
}

export async function reasonIfMissing(name: string): Promise<string | null> {
  const loaded = await loadOptional(name);
  return 'reason' in loaded ? loaded.reason : null;
}
