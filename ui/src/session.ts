// Who is logged in: the token from POST /auth/token, kept in sessionStorage (so it lasts as long
// as the tab and is not shared with other tabs), and the username and role read from it.
// The role only decides what the UI offers; the API checks every request itself.

export type Role = "viewer" | "user" | "op" | "admin";

export interface Session {
  token: string;
  username: string;
  role: Role;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
}

const KEY = "slipstream.token";
const ROLES: readonly string[] = ["viewer", "user", "op", "admin"];

/** The claims of a JWT, unverified (the server verifies it); null for anything malformed. */
export function decodeToken(token: string): Session | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const { sub, role, exp } = claims;
    if (typeof sub !== "string" || typeof role !== "string" || !ROLES.includes(role)) return null;
    if (typeof exp !== "number") return null;
    return { token, username: sub, role: role as Role, expiresAt: exp * 1000 };
  } catch {
    return null;
  }
}

/** The session of this tab, or null when there is none or its token expired. */
export function loadSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  const session = token ? decodeToken(token) : null;
  if (!session || session.expiresAt <= Date.now()) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return session;
}

export function saveSession(token: string): Session {
  const session = decodeToken(token);
  if (!session) throw new Error("The server answered with a token the UI cannot read");
  sessionStorage.setItem(KEY, token);
  return session;
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export function currentToken(): string | null {
  return sessionStorage.getItem(KEY);
}
