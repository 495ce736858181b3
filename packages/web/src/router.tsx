import { createBrowserRouter } from "react-router";
import { Shell } from "./app/Shell.js";
import { ErrorState } from "./components/States.js";

/**
 * One lazily loaded chunk per page (code-split per page): the runs table does not ship the
 * lineage layout engine and vice versa. Each page lives in its own folder under pages/.
 */
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({ Component: (await load()).default });

export const router = createBrowserRouter([
  {
    path: "/",
    element: <Shell />,
    errorElement: <ErrorState error={new Error("This page failed to load. Reload to try again.")} />,
    children: [
      { index: true, lazy: page(() => import("./pages/projects/ProjectsPage.js")) },
      { path: "projects/:project/runs", lazy: page(() => import("./pages/runs/RunsPage.js")) },
      { path: "projects/:project/compare", lazy: page(() => import("./pages/compare/ComparePage.js")) },
      { path: "runs/:runId", lazy: page(() => import("./pages/run/RunPage.js")) },
      { path: "projects/:project/models", lazy: page(() => import("./pages/models/ModelsPage.js")) },
      { path: "projects/:project/models/:name", lazy: page(() => import("./pages/models/ModelPage.js")) },
      { path: "projects/:project/models/:name/monitoring", lazy: page(() => import("./pages/monitoring/MonitoringPage.js")) },
      { path: "lineage/:kind/:id", lazy: page(() => import("./pages/lineage/LineagePage.js")) },
      { path: "audit", lazy: page(() => import("./pages/audit/AuditPage.js")) },
      { path: "*", element: <ErrorState error={new Error("No page at this address.")} /> },
    ],
  },
]);
