/**
 * How many acquire requests one client keeps outstanding at the hubs: an AIMD limit driven by the
 * hubs' overload signal (an OVERLOADED refusal or a timeout). Past the limit an acquire waits here,
 * in the client, within its own maxWait, instead of adding to a hub's backlog (as the Java SDK's
 * AcquireSlots).
 */
export class AcquireSlots {
  /** Suggested wait when an acquire gives up waiting for a slot. */
  static readonly RETRY_AFTER_MS = 100;
  static readonly INITIAL_LIMIT = 256;
  static readonly MIN_LIMIT = 4;
  static readonly MAX_LIMIT = 4096;
  /** One decrease per this many ms: the refusals of one backlog are one signal, not hundreds. */
  static readonly DECREASE_EVERY_MS = 100;
  static readonly DECREASE_FACTOR = 0.7;

  private readonly waiting: Array<() => void> = [];
  private limitValue = AcquireSlots.INITIAL_LIMIT;
  private inFlightCount = 0;
  private lastDecrease = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number) {}

  /** Takes a slot if one is free and nobody waits; otherwise queues `wake` (called later with a slot taken). */
  tryTake(wake: () => void): boolean {
    if (this.inFlightCount < Math.floor(this.limitValue) && this.waiting.length === 0) {
      this.inFlightCount++;
      return true;
    }
    this.waiting.push(wake);
    return false;
  }

  /** The request holding a slot was answered or failed; `overloaded`: shed or timed out. */
  release(overloaded: boolean): Array<() => void> {
    if (overloaded) {
      const now = this.now();
      if (now - this.lastDecrease >= AcquireSlots.DECREASE_EVERY_MS) {
        this.limitValue = Math.max(AcquireSlots.MIN_LIMIT, this.limitValue * AcquireSlots.DECREASE_FACTOR);
        this.lastDecrease = now;
      }
    } else {
      this.limitValue = Math.min(AcquireSlots.MAX_LIMIT, this.limitValue + 1 / this.limitValue);
    }
    return this.giveBack();
  }

  /** A slot taken but not used for a request. Returns the waiters that now hold a slot, oldest first. */
  giveBack(): Array<() => void> {
    this.inFlightCount--;
    const free = Math.min(this.waiting.length, Math.max(0, Math.floor(this.limitValue) - this.inFlightCount));
    const wake = this.waiting.splice(0, free);
    this.inFlightCount += wake.length;
    return wake;
  }

  get limit(): number {
    return Math.floor(this.limitValue);
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
