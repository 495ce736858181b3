import type { Features, PredictionOutput } from "@cairn/core";
import type { PredictionInput, WrapOptions } from "./types.js";

interface Logs {
  logPrediction(p: PredictionInput): string;
}

const now: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";

/** See `Monitor.wrap`. */
export function wrapPredict<A extends unknown[], R>(monitor: Logs, predict: (...args: A) => R, opts: WrapOptions<A, R>, onError: () => void): (...args: A) => R {
  const log = (args: A, result: Awaited<R>, latencyMs: number) => {
    const id = opts.id?.(...args);
    const score = opts.score?.(result, ...args);
    const logged = monitor.logPrediction({
      ...(id !== undefined ? { id } : {}),
      features: (opts.features ? opts.features(...args) : args[0]) as Features,
      output: (opts.output ? opts.output(result, ...args) : result) as PredictionOutput,
      ...(score !== undefined ? { score } : {}),
      latencyMs,
    });
    opts.onLogged?.(logged, result, ...args);
  };
  // Logging must never break a prediction: a throwing option callback is swallowed (the row is simply not logged).
  const safeLog = (args: A, result: Awaited<R>, latencyMs: number) => {
    try {
      log(args, result, latencyMs);
    } catch {
      onError();
    }
  };
  return function (this: unknown, ...args: A): R {
    const t0 = now();
    let result: R;
    try {
      result = predict.apply(this, args);
    } catch (err) {
      onError();
      throw err;
    }
    if (!isThenable(result)) {
      safeLog(args, result as Awaited<R>, now() - t0);
      return result;
    }
    return (result as PromiseLike<Awaited<R>>).then(
      (value) => {
        safeLog(args, value, now() - t0);
        return value;
      },
      (err: unknown) => {
        onError();
        throw err;
      },
    ) as R;
  };
}
