import { Link } from "../router";

export function NotFoundPage({ path }: { path: string }) {
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{path}</code> yet. <Link href="/">Back to the DAGs</Link>
      </p>
    </main>
  );
}
