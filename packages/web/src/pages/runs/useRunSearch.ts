import type { Run, RunList } from "@cairn/core";
import { useEffect, useState } from "react";
import { ApiError, api, seg } from "../../api/client.js";

/** The API's largest page of runs. */
export const RUNS_PAGE_SIZE = 1000;

export interface RunSearchState {
  runs: Run[];
  /** Every page has arrived. */
  done: boolean;
  /** The first page is still on its way (nothing to show yet). */
  pending: boolean;
  /** A 400 `invalid_filter`: the message and the 1-based column in the filter. */
  filterError: { message: string; position: number | undefined } | undefined;
  error: unknown;
  /** The filter and order the runs shown belong to (they stay on screen while a bad filter is fixed). */
  shownFor: { filter: string; orderBy: string } | undefined;
}

const initial: RunSearchState = { runs: [], done: false, pending: true, filterError: undefined, error: undefined, shownFor: undefined };

/**
 * Every run matching the filter, in the server's order: the first page is shown at once and
 * the rest is fetched in the background and appended, following the keyset cursor. A new
 * filter or order aborts the pages still in flight. A filter the server refuses leaves the
 * last good result on screen next to the error.
 */
export function useRunSearch(project: string, filter: string, orderBy: string, reloadToken: number): RunSearchState {
  const [state, setState] = useState<RunSearchState>(initial);

  useEffect(() => {
    const abort = new AbortController();
    let cancelled = false;
    void reloadToken;
    (async () => {
      let cursor: string | undefined;
      let loaded: Run[] = [];
      try {
        do {
          const page = await api.get<RunList>(
            `/projects/${seg(project)}/runs`,
            { filter: filter.trim() || undefined, orderBy: orderBy || undefined, limit: RUNS_PAGE_SIZE, cursor },
            abort.signal,
          );
          if (cancelled) return;
          loaded = loaded.length === 0 ? page.runs : loaded.concat(page.runs);
          cursor = page.nextCursor ?? undefined;
          const done = cursor === undefined;
          // The table measures from here: all rows are in memory, the next render makes them usable.
          if (done) performance.mark("runs:data");
          setState({ runs: loaded, done, pending: false, filterError: undefined, error: undefined, shownFor: { filter, orderBy } });
        } while (cursor !== undefined);
      } catch (e) {
        if (cancelled || abort.signal.aborted) return;
        const first = e instanceof ApiError ? e.problem?.errors?.[0] : undefined;
        if (e instanceof ApiError && e.status === 400 && e.problem?.code === "invalid_filter" && first?.path === "query.filter") {
          setState((s) => ({ ...s, pending: false, done: true, filterError: { message: first.message, position: first.position } }));
        } else {
          setState((s) => ({ ...s, pending: false, done: true, error: e }));
        }
      }
    })();
    return () => {
      cancelled = true;
      abort.abort();
    };
  }, [project, filter, orderBy, reloadToken]);

  return state;
}
