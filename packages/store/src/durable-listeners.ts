/**
 * One job: tell in-process followers (a reader given `durable: log`) that the durable end moved,
 * so they wake at once instead of at their next poll. A hint: a listener re-reads the end itself.
 *
 * Listeners run synchronously inside the acknowledgement path, so they must be cheap (a reader's
 * only resolves a promise). One that throws must not break an acknowledgement that is already
 * durable: its error is rethrown from a microtask, where it surfaces like any uncaught exception.
 */
export type DurableListener = (durableOffset: number) => void;

export class DurableListeners {
  readonly #listeners = new Set<DurableListener>();

  add(listener: DurableListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('onDurable needs a function');
    // Wrapped, so the same function added twice is two subscriptions, each removed by its own call.
    const entry: DurableListener = (offset) => listener(offset);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  notify(durableOffset: number): void {
    for (const listener of this.#listeners) {
      try {
        listener(durableOffset);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
