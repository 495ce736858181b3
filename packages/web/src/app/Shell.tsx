import type { Project, WhoAmI } from "@cairn/core";
import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, useEffect } from "react";
import { Link, NavLink, Outlet, useMatch, useNavigate } from "react-router";
import { api } from "../api/client.js";
import { applyTheme, type Theme, useTheme } from "./theme.js";

/** Who is logged in: pages hide write actions from readers (the server enforces it anyway). */
const WhoAmIContext = createContext<WhoAmI | undefined>(undefined);
export const useWhoAmI = () => useContext(WhoAmIContext);
export const canWrite = (me: WhoAmI | undefined) => me !== undefined && me.role !== "reader";

/** The project in the address (`/projects/:project/...`), remembered for pages outside a project. */
export function useCurrentProject(): string | undefined {
  const match = useMatch("/projects/:project/*");
  const project = match?.params.project;
  useEffect(() => {
    if (project) localStorage.setItem("cairn.project", project);
  }, [project]);
  return project ?? localStorage.getItem("cairn.project") ?? undefined;
}

function ThemeToggle() {
  const theme = useTheme();
  const next: Theme = theme === "dark" ? "light" : "dark";
  return (
    <button type="button" onClick={() => applyTheme(next, true)} aria-label={`Switch to ${next} theme`} title={`Switch to ${next} theme`}>
      {theme === "dark" ? "☀" : "☾"}
    </button>
  );
}

function ProjectSwitcher({ current }: { current: string | undefined }) {
  const navigate = useNavigate();
  const projects = useQuery({ queryKey: ["projects", "switcher"], queryFn: () => api.get<{ projects: Project[] }>("/projects", { limit: 200 }) });
  const list = projects.data?.projects ?? [];
  return (
    <label className="inline">
      <span className="visually-hidden">Project</span>
      <select value={current ?? ""} onChange={(e) => e.target.value && navigate(`/projects/${encodeURIComponent(e.target.value)}/runs`)}>
        <option value="">Choose a project…</option>
        {list.map((p) => (
          <option key={p.id} value={p.name}>
            {p.name}
          </option>
        ))}
        {current && !list.some((p) => p.name === current) && <option value={current}>{current}</option>}
      </select>
    </label>
  );
}

async function logout() {
  await fetch("/api/v1/session", { method: "DELETE", credentials: "same-origin" });
  window.location.assign("/login");
}

export function Shell() {
  const project = useCurrentProject();
  const me = useQuery({ queryKey: ["whoami"], queryFn: () => api.get<WhoAmI>("/whoami"), staleTime: 60_000 });
  const p = project ? `/projects/${encodeURIComponent(project)}` : undefined;
  return (
    <WhoAmIContext.Provider value={me.data}>
      <div className="shell">
        <header className="topbar">
          <Link to="/" className="brand" aria-label="Cairn home">
            <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
              <ellipse cx="12" cy="19" rx="9" ry="3.2" fill="var(--accent)" />
              <ellipse cx="12" cy="12.5" rx="6.5" ry="2.8" fill="var(--accent)" opacity="0.8" />
              <ellipse cx="12" cy="6.5" rx="4" ry="2.4" fill="var(--accent)" opacity="0.6" />
            </svg>
            Cairn
          </Link>
          <nav className="nav" aria-label="Main">
            <NavLink to="/" end>
              Projects
            </NavLink>
            {p && <NavLink to={`${p}/runs`}>Runs</NavLink>}
            {p && <NavLink to={`${p}/models`}>Models</NavLink>}
            <NavLink to="/audit">Audit log</NavLink>
          </nav>
          <div className="topbar-right">
            <ProjectSwitcher current={project} />
            <ThemeToggle />
            {me.data && (
              <span className="small" title={`role: ${me.data.role}`}>
                {me.data.name} · {me.data.role}
              </span>
            )}
            {me.data?.via === "session" && (
              <button type="button" className="link" onClick={() => void logout()}>
                Log out
              </button>
            )}
          </div>
        </header>
        <main className="content" id="main">
          <Outlet />
        </main>
      </div>
    </WhoAmIContext.Provider>
  );
}
