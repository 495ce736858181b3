import { Cairn, UnauthorizedError } from "@cairn/sdk";
import type { Project, Run } from "@cairn/core";
import { useEffect, useState } from "react";

/**
 * A first page: projects and their latest runs, read through the SDK (the UI is the
 * SDK's first user). The full UI is its own piece of work.
 */
const client = new Cairn({ url: window.location.origin });

function RunsTable({ project }: { project: string }) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  useEffect(() => {
    client.runs.search({ project, limit: 20 }).then((page) => setRuns(page.runs), () => setRuns([]));
  }, [project]);
  if (!runs) return <p>Loading runs…</p>;
  if (runs.length === 0) return <p>No runs yet.</p>;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].slice(0, 6);
  return (
    <table>
      <thead>
        <tr>
          <th>run</th>
          <th>status</th>
          <th>started</th>
          {keys.map((k) => (
            <th key={k}>{k}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id}>
            <td title={r.id}>{r.name}</td>
            <td className={`status ${r.status}`}>{r.status}</td>
            <td>{new Date(r.startedAt).toLocaleString()}</td>
            {keys.map((k) => (
              <td key={k}>{r.metrics[k] ? String(r.metrics[k].last) : ""}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function App() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.projects.list().then(
      (page) => setProjects(page.projects),
      (e: unknown) => {
        // No session yet (or it expired): the login page exchanges a key for a session cookie.
        if (e instanceof UnauthorizedError) window.location.assign("/login");
        else setError(e instanceof Error ? e.message : String(e));
      },
    );
  }, []);
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", margin: "2rem auto", maxWidth: 1100 }}>
      <h1>Cairn</h1>
      <p>
        Runs and metrics logged with <code>@cairn/sdk</code>. API reference: <a href="/docs">/docs</a>.
      </p>
      {error && <p role="alert">Could not load projects: {error}</p>}
      {projects && projects.length === 0 && <p>No projects yet. Run the example: <code>npm start -w @cairn/example-train-logistic</code></p>}
      {projects?.map((p) => (
        <section key={p.id}>
          <h2>{p.name}</h2>
          <RunsTable project={p.name} />
        </section>
      ))}
    </main>
  );
}
