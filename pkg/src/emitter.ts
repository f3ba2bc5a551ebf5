/** A typed event emitter: `on(name, listener)` returns a function that removes it. */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(ctx: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (ctx: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (ctx: never) => void);
    return () => this.off(event, listener);
  }

  /** Adds a listener called once. */
  once<K extends keyof Events>(event: K, listener: (ctx: Events[K]) => void): () => void {
    const off = this.on(event, (ctx) => {
      off();
      listener(ctx);
    });
    return off;
  }

  /** Removes a listener. */
  off<K extends keyof Events>(event: K, listener: (ctx: Events[K]) => void): void {
    this.listeners.get(event)?.delete(listener as (ctx: never) => void);
  }

  /** Removes every listener. */
  removeAllListeners(): void {
    this.listeners.clear();
  }

  /** Whether anyone listens to `event`. */
  protected listens(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  /**
   * Calls every listener of `event`. A listener that throws does not stop the others nor
   * the client: its exception is rethrown asynchronously, as an uncaught error.
   */
  protected emit<K extends keyof Events>(event: K, ctx: Events[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as (ctx: Events[K]) => void)(ctx);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
