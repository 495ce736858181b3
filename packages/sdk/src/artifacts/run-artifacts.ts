import type { Artifact } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import type { Reporter } from "../run/reporter.js";
import { type ArtifactsApi, loadNodeArtifacts } from "./client.js";
import type { IgnoreOption } from "./ignore.js";
import { normalizeArtifactPath } from "./path.js";
import type { TransferOptions } from "./types.js";

/** Options of `run.logArtifact()`. */
export interface LogArtifactOptions extends TransferOptions {
  /** Artifact path (default: the file's name). */
  path?: string;
  /** Default: guessed by the server from the name. */
  mediaType?: string;
  /** Replace an artifact at the same path that has different content. */
  overwrite?: boolean;
}

/** Options of `run.logArtifacts()`. */
export interface LogArtifactsOptions extends TransferOptions {
  /** Folder the files go under (default: the run's root). */
  prefix?: string;
  /** Globs (`*.tmp`, `cache/**`), regular expressions or a predicate on the relative path. */
  ignore?: IgnoreOption;
  overwrite?: boolean;
}

/**
 * A promise that knows whether anyone is waiting for it: a failure nobody awaits is reported
 * (console.warn + onError) instead of surfacing as an unhandled rejection, and one that is
 * awaited rejects with the typed error. A thenable rather than a Promise because `await` on a
 * native promise does not call its `then`.
 */
function observed<T>(inner: Promise<T>, onUnobserved: (err: unknown) => void): Promise<T> {
  let watched = false;
  inner.catch((err: unknown) => {
    if (!watched) onUnobserved(err);
  });
  const watch = () => {
    watched = true;
    return inner;
  };
  const thenable = {
    // biome-ignore lint/suspicious/noThenProperty: this object is deliberately awaitable
    then: <A = T, B = never>(ok?: ((v: T) => A | PromiseLike<A>) | null, ko?: ((e: unknown) => B | PromiseLike<B>) | null) => watch().then(ok, ko),
    catch: <B = never>(ko?: ((e: unknown) => B | PromiseLike<B>) | null) => watch().catch(ko),
    finally: (f?: (() => void) | null) => watch().finally(f),
    [Symbol.toStringTag]: "Promise",
  };
  return thenable as Promise<T>;
}

/** The artifact side of a RunHandle: uploads tracked so that `finish()` can wait for them. */
export class RunArtifacts {
  private readonly pending = new Set<Promise<unknown>>();
  private runKnown: Promise<void> | undefined;

  constructor(
    private readonly runId: string,
    private readonly api: ArtifactsApi,
    private readonly reporter: Reporter,
    /** Resolves once the run's creation has reached the server (or the spool). */
    private readonly flushRun: () => Promise<void>,
  ) {}

  logArtifact(localPath: string, opts: LogArtifactOptions = {}): Promise<Artifact> {
    return this.track(`logArtifact(${localPath})`, async () => {
      const [a] = await this.api.upload(this.runId, localPath, opts);
      if (!a) throw new CairnError(`${localPath} is an empty directory`);
      return a;
    });
  }

  logArtifacts(dir: string, opts: LogArtifactsOptions = {}): Promise<Artifact[]> {
    return this.track(`logArtifacts(${dir})`, () => this.api.upload(this.runId, dir, opts));
  }

  logJSON(path: string, value: unknown, opts: TransferOptions & { overwrite?: boolean } = {}): Promise<Artifact> {
    return this.logContent(path, () => JSON.stringify(value, null, 2) ?? "null", "application/json", opts);
  }

  logText(path: string, text: string, opts: TransferOptions & { mediaType?: string; overwrite?: boolean } = {}): Promise<Artifact> {
    return this.logContent(path, () => String(text), opts.mediaType ?? "text/plain; charset=utf-8", opts);
  }

  /** Waits for every upload started so far, at most `deadlineMs`. Never rejects. */
  async settle(deadlineMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, deadlineMs);
    });
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
    if (this.pending.size > 0) {
      this.reporter.report("artifacts:deadline", { error: new CairnError(`${this.pending.size} artifact upload(s) still running after ${deadlineMs} ms; finish() did not wait for them`), op: "finish()" });
    }
  }

  private logContent(path: string, content: () => string, mediaType: string, opts: TransferOptions & { overwrite?: boolean }): Promise<Artifact> {
    return this.track(`log ${path}`, async () => {
      const p = normalizeArtifactPath(path);
      const body = content();
      const node = await loadNodeArtifacts();
      return node.withTempFile(body, async (file) => {
        const [a] = await this.api.upload(this.runId, file, { ...opts, path: p, mediaType });
        return a!;
      });
    });
  }

  private track<T>(op: string, work: () => Promise<T>): Promise<T> {
    this.runKnown ??= this.flushRun();
    const task = this.runKnown.then(work);
    this.pending.add(task);
    const forget = () => this.pending.delete(task);
    task.then(forget, forget);
    return observed(task, (err) => {
      const error = err instanceof Error ? err : new CairnError(String(err));
      this.reporter.report(`artifact:${op}:${error.message}`, { error, op });
    });
  }
}
