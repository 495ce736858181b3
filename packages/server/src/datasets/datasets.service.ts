import { type Dataset, DatasetName } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { Actor } from "../auth/actor.js";
import { rows } from "../db/client.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import type { ServerContext } from "../server-context.js";
import { DATASET_COLUMNS, type DatasetRow, liveProject, requireDataset, toDataset } from "./dataset-rows.js";
import { checkDatasetName } from "./dataset-versions.service.js";

const isNameCursor = (v: unknown): v is { name: string } =>
  typeof v === "object" && v !== null && DatasetName.safeParse((v as { name?: unknown }).name).success;

/** A project's datasets by name, each with its latest version number. */
export async function listDatasets({ ctx, actor, projectRef, limit, cursor }: { ctx: ServerContext; actor: Actor; projectRef: string; limit: number; cursor?: string | undefined }) {
  const after = cursor ? decodeCursor(cursor, isNameCursor).name : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const found = await rows<DatasetRow>(
    ctx.db.orm,
    sql`select ${DATASET_COLUMNS} from datasets d where d.project_id = ${project.id}::uuid
        ${after !== undefined ? sql`and d.name collate "C" > ${after}` : sql``}
        order by d.name collate "C" limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  return { datasets: page.map(toDataset), nextCursor: found.length > limit ? encodeCursor({ name: page[page.length - 1]!.name }) : null };
}

export async function getDataset({ ctx, actor, projectRef, name }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string }): Promise<Dataset> {
  checkDatasetName(name);
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  return toDataset(await requireDataset(ctx.db.orm, project.id, name));
}
