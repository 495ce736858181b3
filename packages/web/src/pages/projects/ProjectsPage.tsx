import type { Project, ProjectList } from "@cairn/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client.js";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { Time } from "../../components/Time.js";
import { formatNumber } from "../../components/format.js";
import "./projects.css";

/** The API's largest page: most installations fit in one request, more pages load on demand. */
const PAGE_SIZE = 200;

function useProjects() {
  return useInfiniteQuery({
    queryKey: ["projects", "listing"],
    queryFn: ({ pageParam, signal }) => api.get<ProjectList>("/projects", { limit: PAGE_SIZE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

const projectPath = (name: string) => `/projects/${encodeURIComponent(name)}`;

function FirstRunSnippet() {
  const snippet = `import { init } from "@cairn/sdk";

const run = await init({ project: "my-project", params: { lr: 0.001, epochs: 10 } });
for (let epoch = 0; epoch < 10; epoch++) {
  run.log({ loss: 1 / (epoch + 1), "val/accuracy": 0.5 + epoch / 25 }, { step: epoch });
}
await run.finish();`;
  return (
    <EmptyState title="No projects yet">
      <p>A project is created with its first run. Start one from a training script with the SDK:</p>
      <pre className="first-run">
        <code>{snippet}</code>
      </pre>
      <p className="small">
        Set <code>CAIRN_URL</code> to this server and <code>CAIRN_API_KEY</code> to a key with the writer role; the run then appears here and in the
        project's runs table.
      </p>
    </EmptyState>
  );
}

function ProductionModels({ project }: { project: Project }) {
  const models = project.productionModels ?? [];
  if (models.length === 0) return <span className="muted">—</span>;
  return (
    <span className="production">
      {models.map((m) => (
        <Link key={m.name} to={`${projectPath(project.name)}/models/${encodeURIComponent(m.name)}`} title={`${m.name}: version ${m.version} is in production`}>
          <span className="badge ok">
            {m.name} v{m.version}
          </span>
        </Link>
      ))}
    </span>
  );
}

function ProjectRow({ project }: { project: Project }) {
  const runs = `${projectPath(project.name)}/runs`;
  return (
    <tr>
      <td>
        <Link to={runs} className="project-name">
          {project.name}
        </Link>
      </td>
      <td className="description" title={project.description}>
        {project.description || <span className="muted">—</span>}
      </td>
      <td className="num">{formatNumber(project.runCount ?? null)}</td>
      <td>
        <Time iso={project.lastActivityAt} />
      </td>
      <td>
        <ProductionModels project={project} />
      </td>
      <td>
        <span className="links">
          <Link to={runs} aria-label={`Runs of ${project.name}`}>
            Runs
          </Link>
          <Link to={`${projectPath(project.name)}/models`} aria-label={`Models of ${project.name}`}>
            Models
          </Link>
        </span>
      </td>
    </tr>
  );
}

/** `/`: every project the key can read, with its runs, last activity and what is in production. */
export default function ProjectsPage() {
  const projects = useProjects();
  const [filter, setFilter] = useState("");
  const all = projects.data?.pages.flatMap((p) => p.projects) ?? [];
  const needle = filter.trim().toLowerCase();
  const shown = needle ? all.filter((p) => p.name.toLowerCase().includes(needle) || p.description.toLowerCase().includes(needle)) : all;

  return (
    <>
      <div className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            Cairn
          </nav>
          <h1>Projects</h1>
          <div className="subtitle">Experiments and models, grouped by project: open one to see its runs.</div>
        </div>
        {all.length > 0 && (
          <label className="inline projects-filter">
            <span className="visually-hidden">Filter projects</span>
            <input type="search" placeholder="Filter by name or description" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
        )}
      </div>
      <section className="card">
        {projects.error ? (
          <ErrorState error={projects.error} retry={() => void projects.refetch()} />
        ) : projects.isPending ? (
          <Loading rows={6} label="Loading projects" />
        ) : all.length === 0 ? (
          <FirstRunSnippet />
        ) : (
          <>
            <div className="projects-scroll">
              <table className="data projects-table">
                <caption className="visually-hidden">Projects</caption>
                <thead>
                  <tr>
                    <th scope="col">Project</th>
                    <th scope="col">Description</th>
                    <th scope="col" className="num">
                      Runs
                    </th>
                    <th scope="col">Last activity</th>
                    <th scope="col">In production</th>
                    <th scope="col">
                      <span className="visually-hidden">Links</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((p) => (
                    <ProjectRow key={p.id} project={p} />
                  ))}
                </tbody>
              </table>
            </div>
            {shown.length === 0 && <p className="muted">No project matches “{filter}”.</p>}
            {projects.hasNextPage && (
              <div className="row" style={{ marginTop: 12 }}>
                <button type="button" onClick={() => void projects.fetchNextPage()} disabled={projects.isFetchingNextPage}>
                  {projects.isFetchingNextPage ? "Loading…" : "Show more projects"}
                </button>
              </div>
            )}
          </>
        )}
      </section>
    </>
  );
}
