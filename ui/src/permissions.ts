// What each role may do: the rules of src/slipstream/api/auth/roles.py (Airflow 3's simple auth
// manager), so that the UI offers only the actions the API would allow.
import type { Role } from "./session";

export type Resource =
  | "dag"
  | "asset"
  | "pool"
  | "backfill"
  | "import_error"
  | "variable"
  | "connection"
  | "config"
  | "user";

const RANK: Record<Role, number> = { viewer: 0, user: 1, op: 2, admin: 3 };

// resource: [least role that may read, least role that may change]
const RULES: Record<Resource, [Role, Role]> = {
  dag: ["viewer", "user"],
  asset: ["viewer", "op"],
  pool: ["viewer", "op"],
  backfill: ["viewer", "op"],
  import_error: ["viewer", "admin"],
  variable: ["op", "op"],
  connection: ["op", "op"],
  config: ["op", "admin"],
  user: ["admin", "admin"],
};

export type Access = "read" | "change";

export function may(role: Role, access: Access, resource: Resource): boolean {
  const [reader, changer] = RULES[resource];
  return RANK[role] >= RANK[access === "read" ? reader : changer];
}
