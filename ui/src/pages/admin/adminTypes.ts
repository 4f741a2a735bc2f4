// The shapes of the answers the admin pages read (only the fields they use).

export interface Variable {
  key: string;
  /** As the API shows it: `***` (or JSON with `***` in it) when the key looks sensitive. */
  value: string | null;
  description: string | null;
  is_encrypted: boolean;
}

export interface VariableCollection {
  variables: Variable[];
  total_entries: number;
}

export interface Connection {
  connection_id: string;
  conn_type: string;
  description: string | null;
  host: string | null;
  login: string | null;
  schema: string | null;
  port: number | null;
  /** Always `***` when one is set: the API never returns a password. */
  password: string | null;
  /** JSON with the values of sensitive fields masked as `***`. */
  extra: string | null;
}

export interface ConnectionCollection {
  connections: Connection[];
  total_entries: number;
}

export interface Pool {
  name: string;
  slots: number;
  description: string | null;
  include_deferred: boolean;
  occupied_slots: number;
  running_slots: number;
  queued_slots: number;
  scheduled_slots: number;
  deferred_slots: number;
  open_slots: number;
}

export interface PoolCollection {
  pools: Pool[];
  total_entries: number;
}

export type RoleName = "admin" | "op" | "user" | "viewer";
export const ROLE_NAMES: readonly RoleName[] = ["admin", "op", "user", "viewer"];

export interface User {
  username: string;
  role: RoleName;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  active: boolean;
  created_at: string;
  last_login: string | null;
}

export interface UserCollection {
  users: User[];
  total_entries: number;
}

export interface EventLog {
  event_log_id: number;
  when: string;
  dag_id: string | null;
  task_id: string | null;
  run_id: string | null;
  map_index: number | null;
  try_number: number | null;
  event: string;
  owner: string | null;
  extra: string | null;
}

export interface EventLogCollection {
  event_logs: EventLog[];
  total_entries: number;
}

export interface BulkActionResult {
  success: string[];
  errors: { error?: string; status_code?: number }[];
}

export interface BulkResult {
  create: BulkActionResult | null;
  update: BulkActionResult | null;
  delete: BulkActionResult | null;
}

/** The passwords rule of the API (`slipstream.api.auth.passwords.MIN_PASSWORD_LENGTH`). */
export const MIN_PASSWORD_LENGTH = 8;
