// Light or dark: the system's choice (prefers-color-scheme, applied by CSS alone) unless the
// user picked one with the toggle, which is remembered in localStorage.

export type Theme = "light" | "dark";
const KEY = "slipstream.theme";

function stored(): Theme | null {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : null;
}

export function currentTheme(): Theme {
  return stored() ?? (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
}

/** Applies the remembered choice, if any, before the first render. */
export function applyStoredTheme(): void {
  const theme = stored();
  if (theme) document.documentElement.dataset.theme = theme;
}

export function setTheme(theme: Theme): void {
  localStorage.setItem(KEY, theme);
  document.documentElement.dataset.theme = theme;
}
