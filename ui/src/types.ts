// The shapes of the REST API v2 answers the UI reads (only the fields it uses).

export type DagRunState = "queued" | "running" | "success" | "failed";

/** A task instance's state (null: not yet scheduled); each has a `.state-NAME` colour class. */
export type TaskInstanceState =
  | "scheduled"
  | "queued"
  | "running"
  | "success"
  | "failed"
  | "skipped"
  | "upstream_failed"
  | "up_for_retry"
  | "up_for_reschedule"
  | "deferred"
  | "removed"
  | "restarting"
  | null;

export interface DagTag {
  name: string;
}

export interface Dag {
  dag_id: string;
  dag_display_name: string;
  is_paused: boolean;
  description: string | null;
  timetable_summary: string | null;
  timetable_description: string | null;
  tags: DagTag[];
  owners: string[];
  has_import_errors: boolean;
  next_dagrun_logical_date: string | null;
  next_dagrun_run_after: string | null;
  fileloc: string;
}

export interface DagCollection {
  dags: Dag[];
  total_entries: number;
}

export interface DagRun {
  dag_id: string;
  dag_run_id: string;
  state: DagRunState;
  run_type: string;
  run_after: string;
  logical_date: string | null;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  triggered_by: string | null;
}

export interface DagRunCollection {
  dag_runs: DagRun[];
  total_entries: number | null;
}

export interface ImportError {
  import_error_id: number;
  timestamp: string;
  filename: string;
  stack_trace: string;
}

export interface ImportErrorCollection {
  import_errors: ImportError[];
  total_entries: number;
}

export interface TagCollection {
  tags: string[];
  total_entries: number;
}
