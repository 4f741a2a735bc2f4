// The bar on every page: where you are, the theme toggle, who is logged in, logging out.
import { useState } from "preact/hooks";
import { may, type Resource } from "../permissions";
import { Link } from "../router";
import type { Session } from "../session";
import { currentTheme, setTheme } from "../theme";

// The admin pages, each shown to the roles that may read what it lists.
const ADMIN_LINKS: [string, string, Resource][] = [
  ["/variables", "Variables", "variable"],
  ["/connections", "Connections", "connection"],
  ["/pools", "Pools", "pool"],
  ["/users", "Users", "user"],
  ["/events", "Audit log", "dag"],
];

export function Header({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const [theme, setShown] = useState(currentTheme);
  const toggle = () => {
    const next = theme === "dark" ? "light" : "dark";
    setTheme(next);
    setShown(next);
  };
  return (
    <header class="topbar">
      <Link href="/" class="brand">
        Slipstream
      </Link>
      <nav aria-label="Main">
        <Link href="/">DAGs</Link>
        {ADMIN_LINKS.filter(([, , resource]) => may(session.role, "read", resource)).map(([path, label]) => (
          <Link key={path} href={path}>
            {label}
          </Link>
        ))}
      </nav>
      <span class="spacer" />
      <button
        type="button"
        class="icon"
        onClick={toggle}
        aria-label={theme === "dark" ? "Switch to light mode" : "Switch to dark mode"}
        title={theme === "dark" ? "Light mode" : "Dark mode"}
      >
        {theme === "dark" ? "☀" : "☾"}
      </button>
      <span class="user" data-role={session.role}>
        {session.username} <span class="role">{session.role}</span>
      </span>
      <button type="button" onClick={onLogout}>
        Log out
      </button>
    </header>
  );
}
