import type { RegisteredModel } from "@cairn/core";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { AliasBadges } from "./AliasBadges.js";
import { modelRoute, useModels } from "./modelsApi.js";
import "./models.css";

function RegisterSnippet({ project }: { project: string }) {
  const snippet = `import { init } from "@cairn/sdk";

const run = await init({ project: ${JSON.stringify(project)} });
run.log({ "test/accuracy": 0.93 });
void run.logArtifact("out/model.onnx", { path: "model/model.onnx" });
const version = await run.registerModel("my-model", "model/model.onnx", { framework: "onnx" });
await run.finish();`;
  return (
    <EmptyState title="No registered models yet">
      <p>Register a run's file or folder as a model version from your training script:</p>
      <pre className="snippet">
        <code>{snippet}</code>
      </pre>
      <p className="small">
        For a run that has already finished: <code>{`new Cairn().models.register({ name: "my-model", runId, artifactPath: "model/" })`}</code>. Then
        promote it to <code>production</code> from its page, or with <code>cairn models promote my-model 1 production</code>.
      </p>
    </EmptyState>
  );
}

/** `/projects/:project/models`: every registered model with its latest version and where its aliases point. */
export default function ModelsPage() {
  const { project = "" } = useParams();
  const models = useModels(project);
  const [filter, setFilter] = useState("");
  const all: RegisteredModel[] = models.data?.pages.flatMap((p) => p.models) ?? [];
  const needle = filter.trim().toLowerCase();
  const shown = needle ? all.filter((m) => m.name.toLowerCase().includes(needle) || m.description.toLowerCase().includes(needle)) : all;

  return (
    <>
      <div className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to="/">Projects</Link> / <Link to={`/projects/${encodeURIComponent(project)}/runs`}>{project}</Link> / Models
          </nav>
          <h1>Models</h1>
          <div className="subtitle">Registered models of {project}: versions, aliases and the promotion gate.</div>
        </div>
        {all.length > 0 && (
          <label className="inline">
            <span className="visually-hidden">Filter models</span>
            <input type="search" placeholder="Filter models" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
        )}
      </div>
      <section className="card">
        {models.error ? (
          <ErrorState error={models.error} retry={() => void models.refetch()} />
        ) : models.isPending ? (
          <Loading rows={5} label="Loading models" />
        ) : all.length === 0 ? (
          <RegisterSnippet project={project} />
        ) : (
          <>
            <div className="table-scroll">
              <table className="data">
                <caption className="visually-hidden">Registered models</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Description</th>
                    <th scope="col" className="num">
                      Latest version
                    </th>
                    <th scope="col">Aliases</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((m) => (
                    <tr key={m.id}>
                      <td>
                        <Link to={modelRoute(project, m.name)}>{m.name}</Link>
                      </td>
                      <td className="muted description-cell" title={m.description}>
                        {m.description || "—"}
                      </td>
                      <td className="num">{m.latestVersion === null ? "—" : `v${m.latestVersion}`}</td>
                      <td>
                        <AliasBadges aliases={m.aliases} />
                      </td>
                      <td>
                        <Time iso={m.updatedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {shown.length === 0 && <p className="muted">No model matches “{filter}” among the {all.length} loaded.</p>}
            {models.hasNextPage && (
              <div className="row load-more">
                <button type="button" onClick={() => void models.fetchNextPage()} disabled={models.isFetchingNextPage}>
                  {models.isFetchingNextPage ? "Loading…" : "Load more models"}
                </button>
              </div>
            )}
          </>
        )}
      </section>
    </>
  );
}
