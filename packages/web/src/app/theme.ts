import { useEffect, useState } from "react";

export type Theme = "light" | "dark";

const KEY = "cairn.theme";

/** The saved choice, else the system's preference. Applied before React renders: no flash. */
export function initialTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(theme: Theme, save = false): void {
  document.documentElement.dataset.theme = theme;
  if (save) localStorage.setItem(KEY, theme);
  window.dispatchEvent(new CustomEvent("cairn-theme", { detail: theme }));
}

/** The current theme; components that paint on canvas (charts) redraw when it changes. */
export function useTheme(): Theme {
  const [theme, setTheme] = useState<Theme>(() => (document.documentElement.dataset.theme === "dark" ? "dark" : "light"));
  useEffect(() => {
    const on = (e: Event) => setTheme((e as CustomEvent<Theme>).detail);
    window.addEventListener("cairn-theme", on);
    return () => window.removeEventListener("cairn-theme", on);
  }, []);
  return theme;
}
