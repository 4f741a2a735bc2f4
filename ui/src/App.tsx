// The whole application: the login page until there is a session, then the pages.
import { useEffect, useState } from "preact/hooks";
import { onUnauthorized } from "./api";
import { Header } from "./components/Header";
import { Notices } from "./notices";
import { AuditLogPage } from "./pages/admin/AuditLog";
import { ConnectionsPage } from "./pages/admin/Connections";
import { PoolsPage } from "./pages/admin/Pools";
import { UsersPage } from "./pages/admin/Users";
import { VariablesPage } from "./pages/admin/Variables";
import { DagPage } from "./pages/dag/DagPage";
import { DagsPage } from "./pages/Dags";
import { LoginPage } from "./pages/Login";
import { NotFoundPage } from "./pages/NotFound";
import { RunPage } from "./pages/run/RunPage";
import { TaskInstancePage } from "./pages/task/TaskInstancePage";
import { parseRoute } from "./paths";
import { href, navigate, useLocation } from "./router";
import { clearSession, loadSession, type Session } from "./session";

const LOGIN = "/login";

/** Where to go after logging in: `next` when it is a path of this site. */
function afterLogin(query: URLSearchParams): string {
  const next = query.get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith(LOGIN) ? next : "/";
}

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const location = useLocation();
  const atLogin = location.path === LOGIN;

  useEffect(
    () =>
      onUnauthorized(() => {
        clearSession();
        setSession(null);
      }),
    [],
  );

  useEffect(() => {
    if (!session && !atLogin) {
      const here = window.location.pathname + window.location.search;
      navigate(href(LOGIN, { next: here === "/" ? undefined : here }), { replace: true });
    } else if (session && atLogin) {
      navigate(afterLogin(location.query), { replace: true });
    }
  }, [session, atLogin]);

  const logout = () => {
    clearSession();
    setSession(null);
    navigate(LOGIN);
  };

  if (!session) return <LoginPage onLogin={setSession} />;
  return (
    <>
      <Header session={session} onLogout={logout} />
      {route(location.path, location.query, session)}
      <Notices />
    </>
  );
}

function route(path: string, query: URLSearchParams, session: Session) {
  if (path === LOGIN) return null; // leaving for `next`
  const found = parseRoute(path, query);
  switch (found?.page) {
    case "dags":
      return <DagsPage session={session} query={query} />;
    case "dag":
      return <DagPage key={found.dagId} session={session} dagId={found.dagId} tab={found.tab} query={query} />;
    case "run":
      return <RunPage key={`${found.dagId}/${found.runId}`} session={session} dagId={found.dagId} runId={found.runId} />;
    case "task":
      return <TaskInstancePage session={session} {...found} />;
    case "variables":
      return <VariablesPage session={session} />;
    case "connections":
      return <ConnectionsPage session={session} />;
    case "pools":
      return <PoolsPage session={session} />;
    case "users":
      return <UsersPage session={session} />;
    case "events":
      return <AuditLogPage session={session} query={query} />;
    default:
      return <NotFoundPage path={path} />;
  }
}
