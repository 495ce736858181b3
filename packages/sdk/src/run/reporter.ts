import { CairnError } from "../client/errors.js";

/** What `onError` receives: the error and what it was about. Never thrown into user code. */
export interface SdkErrorEvent {
  error: Error;
  /** What the SDK was doing, e.g. `log 10000 metric points`, `log()`. */
  op: string;
  /** Points affected (dropped), when the error is about metrics. */
  points?: number;
  /** The metric key, for invalid keys or values. */
  key?: string;
}

/**
 * Reports problems once per kind (an invalid key is reported once, not once per
 * `log()` call; a rejected batch kind once, not once per batch) with console.warn and
 * the user's `onError` hook. A throwing hook is ignored: it must not break logging.
 */
export class Reporter {
  private readonly seen = new Set<string>();

  constructor(private readonly onError?: (event: SdkErrorEvent) => void) {}

  report(onceKey: string, event: SdkErrorEvent): void {
    if (this.seen.has(onceKey)) return;
    if (this.seen.size < 10_000) this.seen.add(onceKey);
    console.warn(`[cairn] ${event.op}: ${event.error.message}`);
    try {
      this.onError?.(event);
    } catch {
      // The hook is user code; logging must carry on regardless.
    }
  }

  /** Prints an informational line (not an error). */
  info(message: string): void {
    console.warn(`[cairn] ${message}`);
  }
}

export const sdkError = (message: string): CairnError => new CairnError(message);
