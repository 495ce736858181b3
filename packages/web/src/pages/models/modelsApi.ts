import type { CheckResult, GateEvaluation, ModelAlias, ModelList, ModelVersion, ModelVersionList, RegisteredModel, StoredPolicy } from "@cairn/core";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, seg } from "../../api/client.js";

/**
 * The registry's reads for the model pages, with one query key scheme so a promotion can
 * refresh exactly what it changed (the model's aliases, its versions, the alias history and
 * the evaluation list) by invalidating `["model", project, name]`.
 */

export const modelPath = (project: string, name: string) => `/projects/${seg(project)}/models/${seg(name)}`;
export const modelKey = (project: string, name: string) => ["model", project, name] as const;

/** UI routes (react-router paths, not API paths). */
export const modelsRoute = (project: string) => `/projects/${encodeURIComponent(project)}/models`;
export const modelRoute = (project: string, name: string) => `${modelsRoute(project)}/${encodeURIComponent(name)}`;

const PAGE = 100;

export function useModels(project: string) {
  return useInfiniteQuery({
    queryKey: ["models", project],
    queryFn: ({ pageParam }) => api.get<ModelList>(`/projects/${seg(project)}/models`, { limit: PAGE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useModel(project: string, name: string) {
  return useQuery({ queryKey: [...modelKey(project, name), "model"], queryFn: () => api.get<RegisteredModel>(modelPath(project, name)) });
}

export function useVersions(project: string, name: string) {
  return useInfiniteQuery({
    queryKey: [...modelKey(project, name), "versions"],
    queryFn: ({ pageParam }) => api.get<ModelVersionList>(`${modelPath(project, name)}/versions`, { limit: PAGE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useVersion(project: string, name: string, version: number | undefined) {
  return useQuery({
    queryKey: [...modelKey(project, name), "version", version],
    queryFn: () => api.get<ModelVersion>(`${modelPath(project, name)}/versions/${version}`),
    enabled: version !== undefined,
  });
}

export function useChecks(project: string, name: string, version: number | undefined) {
  return useInfiniteQuery({
    queryKey: [...modelKey(project, name), "checks", version],
    queryFn: ({ pageParam }) =>
      api.get<{ checks: CheckResult[]; nextCursor: string | null }>(`${modelPath(project, name)}/versions/${version}/checks`, { limit: PAGE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: version !== undefined,
  });
}

export function useAliases(project: string, name: string) {
  return useQuery({
    queryKey: [...modelKey(project, name), "aliases"],
    queryFn: () => api.get<{ aliases: ModelAlias[] }>(`${modelPath(project, name)}/aliases`),
  });
}

export function usePolicies(project: string, name: string, history = false) {
  return useQuery({
    queryKey: [...modelKey(project, name), "policies", history],
    queryFn: () => api.get<{ policies: StoredPolicy[] }>(`${modelPath(project, name)}/policy`, history ? { history: "true" } : undefined),
  });
}

export function useEvaluations(project: string, name: string, alias: string | undefined) {
  return useInfiniteQuery({
    queryKey: [...modelKey(project, name), "evaluations", alias ?? ""],
    queryFn: ({ pageParam }) =>
      api.get<{ evaluations: GateEvaluation[]; nextCursor: string | null }>(`${modelPath(project, name)}/evaluations`, { limit: 50, cursor: pageParam, alias }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/** One stored evaluation, for a link from an alias move that is older than the loaded list. */
export function useEvaluation(project: string, name: string, id: string | undefined) {
  return useQuery({
    queryKey: [...modelKey(project, name), "evaluation", id],
    queryFn: () => api.get<GateEvaluation>(`${modelPath(project, name)}/evaluations/${seg(id ?? "")}`),
    enabled: id !== undefined,
  });
}
