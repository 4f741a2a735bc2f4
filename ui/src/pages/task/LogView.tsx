// The log of one try: messages in a monospace panel with their levels highlighted; while the try
// may still write, a live tail that asks only for what is new (the continuation token) and keeps
// the panel scrolled to the end unless the reader scrolled up. A button downloads the full text.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { ApiError, get, isAbort, messageOf, request } from "../../api";
import { notify } from "../../notices";
import { usePolling } from "../../polling";
import { type LogAnswer, type LogMessage, logPath, type TaskInstanceKey } from "./taskTypes";

/** How often a live tail asks for new lines. */
const TAIL_MS = 1000;
const GROUP_START = "::group::";
const GROUP_END = "::endgroup::";

interface Props {
  ti: TaskInstanceKey;
  tryNumber: number;
  /** The try may still write: its log is tailed until an answer says it is complete. */
  live: boolean;
}

interface Tail {
  key: string;
  messages: LogMessage[];
  token: string | null;
  done: boolean;
}

export function LogView({ ti, tryNumber, live }: Props) {
  const url = logPath(ti, tryNumber);
  const query = { map_index: ti.mapIndex >= 0 ? ti.mapIndex : undefined };
  // Restarted when a try whose log was complete may write again (it was cleared and runs).
  const [generation, setGeneration] = useState(0);
  const key = `${url}|${ti.mapIndex}|${generation}`;
  const [tail, setTail] = useState<Tail>({ key, messages: [], token: null, done: false });
  const [error, setError] = useState<string | null>(null);
  const state = useRef(tail);
  state.current = tail.key === key ? tail : { key, messages: [], token: null, done: false };
  const panel = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const loaded = useRef(false);

  usePolling(
    async (signal) => {
      const now = state.current;
      if (now.done) return;
      try {
        const answer = await get<LogAnswer>(url, { ...query, token: now.token ?? undefined }, signal);
        const messages = now.token ? [...now.messages, ...answer.content] : answer.content;
        const next = { key, messages, token: answer.continuation_token, done: !answer.continuation_token };
        state.current = next;
        loaded.current = true;
        setTail(next);
        setError(null);
      } catch (failure) {
        if (isAbort(failure)) throw failure;
        setError(failure instanceof ApiError && failure.status === 404 ? `No log: ${failure.message}` : messageOf(failure));
      }
    },
    key,
    TAIL_MS,
  );

  const wasLive = useRef(live);
  if (live && !wasLive.current && tail.key === key && tail.done) setGeneration((value) => value + 1);
  wasLive.current = live;

  useLayoutEffect(() => {
    const element = panel.current;
    if (element && atBottom.current) element.scrollTop = element.scrollHeight;
  }, [tail]);

  const onScroll = () => {
    const element = panel.current;
    if (element) atBottom.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 8;
  };

  const shown = loaded.current ? tail : null;
  const tailing = shown !== null && !shown.done;
  return (
    <div class="log-view">
      <div class="log-toolbar">
        <span class="muted log-status" aria-live="polite">
          {shown === null ? "Loading the log…" : tailing ? "● Live: following the log" : `${countLines(shown.messages)} lines`}
        </span>
        <span class="spacer" />
        <DownloadButton ti={ti} tryNumber={tryNumber} />
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <div class="log-panel" ref={panel} onScroll={onScroll} role="log" aria-label={`Log of try ${tryNumber}`}>
        {shown !== null && shown.messages.length === 0 && <div class="log-line muted">The log is empty so far.</div>}
        {shown !== null && <LogLines messages={shown.messages} />}
      </div>
    </div>
  );
}

function countLines(messages: LogMessage[]): number {
  return messages.filter((message) => !message.event.startsWith(GROUP_START) && message.event !== GROUP_END).length;
}

/** The messages, with `::group::` … `::endgroup::` runs folded into a collapsed block; lines
 * without a level that follow a warning or an error (its traceback) are marked as part of it. */
function LogLines({ messages }: { messages: LogMessage[] }) {
  const out = [];
  let carried: string | undefined;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index];
    if (message.event.startsWith(GROUP_START)) {
      const inside: LogMessage[] = [];
      let end = index + 1;
      while (end < messages.length && messages[end].event !== GROUP_END) inside.push(messages[end++]);
      out.push(
        <details key={index} class="log-group">
          <summary>{message.event.slice(GROUP_START.length)}</summary>
          {(message.sources ?? []).map((source) => (
            <div key={source} class="log-line muted">
              {source}
            </div>
          ))}
          {inside.map((line, position) => (
            <LogLine key={position} message={line} />
          ))}
        </details>,
      );
      index = end;
    } else {
      if (message.level) carried = CARRIED_LEVELS.includes(message.level) ? message.level : undefined;
      out.push(<LogLine key={index} message={message} continues={message.level ? undefined : carried} />);
    }
  }
  return <>{out}</>;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

const CARRIED_LEVELS = ["warning", "error", "critical"];

function LogLine({ message, continues }: { message: LogMessage; continues?: string }) {
  const level = message.level?.toLowerCase();
  const style = level ? ` log-${level}` : continues ? ` log-${continues}-continued` : "";
  return (
    <div class={`log-line${style}`}>
      {message.timestamp && (
        <time class="log-time" dateTime={message.timestamp} title={message.timestamp}>
          {timeFormat.format(new Date(message.timestamp))}
        </time>
      )}
      {level && <span class="log-level">{level.toUpperCase()}</span>}
      <span class="log-event">{message.event}</span>
    </div>
  );
}

/** Fetches the whole log as text (the API's text/plain answer) and saves it as a file. */
function DownloadButton({ ti, tryNumber }: { ti: TaskInstanceKey; tryNumber: number }) {
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const text = await request<string>("GET", logPath(ti, tryNumber), {
        query: { full_content: true, map_index: ti.mapIndex >= 0 ? ti.mapIndex : undefined },
        accept: "text",
      });
      const blob = new Blob([text], { type: "text/plain" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      const mapped = ti.mapIndex >= 0 ? `-${ti.mapIndex}` : "";
      link.download = `${ti.dagId}-${ti.runId}-${ti.taskId}${mapped}-try${tryNumber}.log`.replace(/[^\w.+-]+/g, "_");
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (failure) {
      notify(`Could not download the log: ${messageOf(failure)}`, "error");
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" onClick={download} disabled={busy}>
      ⤓ Download
    </button>
  );
}
