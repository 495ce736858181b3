import { type KeyboardEvent, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { canWrite, useWhoAmI } from "../../app/Shell.js";
import { ErrorState, Loading } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { AliasBadges } from "./AliasBadges.js";
import { AliasesTab } from "./AliasesTab.js";
import { EvaluationsTab } from "./EvaluationsTab.js";
import { modelRoute, modelsRoute, useAliases, useModel, usePolicies, useVersions } from "./modelsApi.js";
import { PolicyTab } from "./PolicyTab.js";
import { PromoteDialog } from "./PromoteDialog.js";
import { VersionsTab } from "./VersionsTab.js";
import "./models.css";

const TABS = [
  { id: "versions", label: "Versions" },
  { id: "aliases", label: "Aliases" },
  { id: "policy", label: "Policy" },
  { id: "evaluations", label: "Evaluations" },
] as const;
type Tab = (typeof TABS)[number]["id"];

const positiveInt = (s: string | null): number | undefined => (s && /^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : undefined);

/** `/projects/:project/models/:name`: a registered model's versions, aliases, policy and gate evaluations, and the Promote action. */
export default function ModelPage() {
  const { project = "", name = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const tab: Tab = TABS.find((t) => t.id === params.get("tab"))?.id ?? "versions";
  const selectedVersion = positiveInt(params.get("version"));
  const model = useModel(project, name);
  const me = useWhoAmI();
  const writer = canWrite(me);
  const [promoting, setPromoting] = useState<{ version: number | undefined; alias: string } | undefined>();
  // The dialog's choices: versions that can be promoted and the aliases the model knows.
  const versions = useVersions(project, name);
  const aliases = useAliases(project, name);
  const policies = usePolicies(project, name);

  const selectTab = (id: Tab) => setParams(id === "versions" && selectedVersion !== undefined ? { tab: id, version: String(selectedVersion) } : { tab: id });
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === "ArrowRight" ? (i + 1) % TABS.length : e.key === "ArrowLeft" ? (i - 1 + TABS.length) % TABS.length : e.key === "Home" ? 0 : e.key === "End" ? TABS.length - 1 : -1;
    if (next < 0) return;
    e.preventDefault();
    const target = TABS[next];
    if (!target) return;
    selectTab(target.id);
    document.getElementById(`tab-${target.id}`)?.focus();
  };

  if (model.error) return <ErrorState error={model.error} retry={() => void model.refetch()} />;
  const m = model.data;
  const aliasNames = [...new Set(["production", "staging", ...Object.keys(m?.aliases ?? {}), ...(aliases.data?.aliases ?? []).map((a) => a.alias), ...(policies.data?.policies ?? []).map((p) => p.alias)])].sort();
  const promotable = (versions.data?.pages.flatMap((p) => p.versions) ?? []).filter((v) => !v.archived);

  return (
    <>
      <div className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to="/">Projects</Link> / <Link to={`/projects/${encodeURIComponent(project)}/runs`}>{project}</Link> / <Link to={modelsRoute(project)}>Models</Link> / {name}
          </nav>
          <div className="row">
            <h1>{name}</h1>
            {m && <AliasBadges aliases={m.aliases} emptyText="no aliases" />}
          </div>
          <div className="subtitle model-subtitle">
            {m ? (
              <>
                {m.description && <span>{m.description} · </span>}
                {m.latestVersion === null ? "no versions yet" : `latest v${m.latestVersion}`} · updated <Time iso={m.updatedAt} />
              </>
            ) : (
              <span className="skeleton subtitle-skeleton" />
            )}
          </div>
        </div>
        <div className="row">
          <Link className="button" to={`${modelRoute(project, name)}/monitoring`}>
            Monitoring
          </Link>
          {writer && (
            <button type="button" className="primary" onClick={() => setPromoting({ version: selectedVersion, alias: "production" })} disabled={!m || m.latestVersion === null || !versions.data}>
              Promote…
            </button>
          )}
        </div>
      </div>

      <div role="tablist" aria-label="Model sections" className="tabs" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => selectTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {!m ? (
          <Loading rows={6} label="Loading the model" />
        ) : tab === "versions" ? (
          <VersionsTab project={project} name={name} selected={selectedVersion} onPromote={(version) => setPromoting({ version, alias: "production" })} />
        ) : tab === "aliases" ? (
          <AliasesTab project={project} name={name} onPromote={(alias) => setPromoting({ version: selectedVersion, alias })} />
        ) : tab === "policy" ? (
          <PolicyTab project={project} name={name} />
        ) : (
          <EvaluationsTab project={project} name={name} focus={params.get("evaluation") ?? undefined} />
        )}
      </div>

      {promoting && m && (
        <PromoteDialog
          project={project}
          name={name}
          versions={promotable}
          aliasNames={aliasNames}
          holders={m.aliases}
          initialVersion={promoting.version !== undefined && promotable.some((v) => v.version === promoting.version) ? promoting.version : promotable[0]?.version}
          initialAlias={promoting.alias}
          onClose={() => setPromoting(undefined)}
        />
      )}
    </>
  );
}
