import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import { applyTheme, initialTheme } from "./app/theme.js";
import { router } from "./router.js";
import "./styles/app.css";

applyTheme(initialTheme());

const queryClient = new QueryClient({
  defaultOptions: {
    // A 4xx will not change on retry; a 5xx or a dropped connection might.
    queries: { retry: (count, error) => count < 2 && !(error && "status" in error && Number(error.status) < 500), staleTime: 10_000, refetchOnWindowFocus: false },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
