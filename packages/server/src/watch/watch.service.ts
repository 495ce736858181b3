import type { AliasEvent } from "@cairn/core";
import type { Actor } from "../auth/actor.js";
import { getAlias } from "../gate/aliases.service.js";
import type { ServerContext } from "../server-context.js";
import type { WatchedAlias } from "./alias-hub.js";

/**
 * What a watch stream starts from: the alias (reader role; an unknown model or alias is a
 * 404 before any stream opens) and its current state as the first event.
 */
export async function openAliasWatch({ ctx, actor, projectRef, name, alias }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; alias: string }): Promise<{ watched: WatchedAlias; current: AliasEvent }> {
  const view = await getAlias({ ctx, actor, projectRef, name, alias });
  const last = view.history[0];
  return {
    watched: { modelId: view.modelId, model: view.modelName, alias },
    current: {
      model: view.modelName,
      alias,
      version: view.version,
      previousVersion: last?.fromVersion ?? null,
      movedAt: last?.movedAt ?? null,
      moveId: last?.id ?? null,
    },
  };
}
