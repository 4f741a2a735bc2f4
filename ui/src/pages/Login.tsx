// Logging in: POST /auth/token with a username and password; the token starts the session.
import { useState } from "preact/hooks";
import { ApiError, messageOf, request } from "../api";
import { saveSession, type Session } from "../session";

export function LoginPage({ onLogin }: { onLogin: (session: Session) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { access_token } = await request<{ access_token: string }>("POST", "/auth/token", {
        body: { username, password },
      });
      onLogin(saveSession(access_token));
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? "Wrong username or password."
          : `Could not log in: ${messageOf(failure)}`,
      );
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card login-card" onSubmit={submit}>
        <h1 class="brand">Slipstream</h1>
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          required
          value={username}
          onInput={(event) => setUsername(event.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
