import type { AliasEvent } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import type { ServerContext } from "../server-context.js";

/** How often the hub looks for moves; a move made on any replica reaches watchers within about this long. */
export const ALIAS_POLL_MS = 1_000;

export interface WatchedAlias {
  modelId: string;
  model: string;
  alias: string;
}

export interface AliasSubscription {
  /** Called with each move after the one the subscriber has seen; `null` when the server stops. */
  readonly push: (event: AliasEvent | null) => void;
  /** The move the subscriber has seen (null: none). */
  lastMoveId: string | null;
}

interface Group extends WatchedAlias {
  subs: Set<AliasSubscription>;
}

interface MoveRow {
  model_id: string;
  alias: string;
  id: string;
  from_version: number | null;
  to_version: number | null;
  moved_ms: number | string;
}

const key = (modelId: string, alias: string) => `${modelId}\u0000${alias}`;

/**
 * The latest move of each (model, alias): it says where the alias points now. Reading the
 * latest move rather than "moves since t" cannot miss a move whose transaction committed
 * after a later-timestamped one was read.
 */
export async function latestMoves(db: Executor, pairs: Array<{ modelId: string; alias: string }>): Promise<Map<string, MoveRow>> {
  if (pairs.length === 0) return new Map();
  const found = await rows<MoveRow>(
    db,
    sql`select distinct on (am.model_id, am.alias) am.model_id::text as model_id, am.alias, am.id::text as id,
          am.from_version, am.to_version, (extract(epoch from am.moved_at) * 1000)::float8 as moved_ms
        from alias_moves am
        join unnest(${sql.param(pairs.map((p) => p.modelId))}::uuid[], ${sql.param(pairs.map((p) => p.alias))}::text[]) as w(model_id, alias)
          on am.model_id = w.model_id and am.alias = w.alias
        order by am.model_id, am.alias, am.moved_at desc, am.id desc`,
  );
  return new Map(found.map((r) => [key(r.model_id, r.alias), r]));
}

export function toAliasEvent(w: WatchedAlias, move: MoveRow | undefined, currentVersion: number | null): AliasEvent {
  if (!move) return { model: w.model, alias: w.alias, version: currentVersion, previousVersion: null, movedAt: null, moveId: null };
  return {
    model: w.model,
    alias: w.alias,
    version: move.to_version === null ? null : Number(move.to_version),
    previousVersion: move.from_version === null ? null : Number(move.from_version),
    movedAt: new Date(Number(move.moved_ms)).toISOString(),
    moveId: move.id,
  };
}

/**
 * One poller per server for every watched alias: each tick is a single query over all of
 * them, however many connections watch (and nothing runs while nobody watches). Moves are
 * read from the database, so a promotion through any replica is seen by every replica.
 */
export class AliasHub {
  private readonly groups = new Map<string, Group>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;

  constructor(private readonly ctx: ServerContext) {}

  get watchers(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.subs.size;
    return n;
  }

  subscribe(w: WatchedAlias, sub: AliasSubscription): () => void {
    const k = key(w.modelId, w.alias);
    let g = this.groups.get(k);
    if (!g) this.groups.set(k, (g = { ...w, subs: new Set() }));
    g.subs.add(sub);
    this.schedule();
    return () => {
      g.subs.delete(sub);
      if (g.subs.size === 0 && this.groups.get(k) === g) this.groups.delete(k);
    };
  }

  private schedule(): void {
    if (this.timer || this.polling || this.groups.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ALIAS_POLL_MS);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.ctx.state.shuttingDown) return this.endAll();
    this.polling = true;
    try {
      const groups = [...this.groups.values()];
      const latest = await latestMoves(this.ctx.db.orm, groups);
      for (const g of groups) {
        const move = latest.get(key(g.modelId, g.alias));
        if (!move) continue;
        for (const sub of g.subs) {
          if (sub.lastMoveId === move.id) continue;
          sub.lastMoveId = move.id;
          sub.push(toAliasEvent(g, move, null));
        }
      }
    } catch (err) {
      // A failed poll (database restarting) is retried on the next tick; watchers keep their state.
      if (!this.ctx.state.shuttingDown) this.ctx.log.warn({ err }, "alias watch poll failed");
    } finally {
      this.polling = false;
    }
    if (this.ctx.state.shuttingDown) return this.endAll();
    this.schedule();
  }

  private endAll(): void {
    for (const g of this.groups.values()) for (const sub of g.subs) sub.push(null);
    this.groups.clear();
  }
}

const hubs = new WeakMap<ServerContext, AliasHub>();

/** The server's hub (several servers in one process, as in tests, each have their own). */
export function aliasHub(ctx: ServerContext): AliasHub {
  let hub = hubs.get(ctx);
  if (!hub) hubs.set(ctx, (hub = new AliasHub(ctx)));
  return hub;
}
