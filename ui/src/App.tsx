// The whole application: the login page until there is a session, then the pages.
import { useEffect, useState } from "preact/hooks";
import { onUnauthorized } from "./api";
import { Header } from "./components/Header";
import { Notices } from "./notices";
import { DagsPage } from "./pages/Dags";
import { LoginPage } from "./pages/Login";
import { NotFoundPage } from "./pages/NotFound";
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
  if (path === "/" || path === "/dags") return <DagsPage session={session} query={query} />;
  if (path === LOGIN) return null; // leaving for `next`
  return <NotFoundPage path={path} />;
}
