// Modal dialogs, one way for the whole UI: the <dialog> opens as a modal when shown and tells
// its owner when it closes (Cancel, Escape, or a done submit). Its form shows the server's (or the
// check's) message when submitting fails, stays open then, and disables the submit button while
// the request runs.
//
// `Dialog` is the usual whole; `DialogFrame` and `DialogForm` are its two halves, for a dialog
// whose form can only be built later (the trigger dialog reads the DAG's params first).
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { messageOf } from "../api";

interface FrameProps {
  title: string;
  /** Extra classes for the <dialog> (its width, say). */
  class?: string;
  onClose: () => void;
  children: ComponentChildren;
}

/** An open modal titled `title` (its accessible name); `onClose` runs once it closes. */
export function DialogFrame({ title, class: extra, onClose, children }: FrameProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => dialog.current?.showModal(), []);
  return (
    <dialog ref={dialog} class={extra ? `dialog ${extra}` : "dialog"} onClose={onClose} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

interface FormProps {
  submitLabel: string;
  /** Does the action; what it throws shows in the form, which stays open. Resolving closes the
   * dialog. */
  onSubmit: () => Promise<void>;
  /** Styles the submit button as destructive. */
  danger?: boolean;
  submitDisabled?: boolean;
  /** Skips the browser's own field checks (the form checks its fields itself). */
  noValidate?: boolean;
  /** Scrolls the fields when they are taller than the window. */
  scroll?: boolean;
  children: ComponentChildren;
}

/** The form of a dialog: fields, the failure's message, Cancel and the submit button. */
export function DialogForm({ submitLabel, onSubmit, danger, submitDisabled, noValidate, scroll, children }: FormProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const close = () => form.current?.closest("dialog")?.close();

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await onSubmit();
      close();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  };

  return (
    <form ref={form} onSubmit={submit} noValidate={noValidate} class={scroll ? "dialog-scroll" : undefined}>
      {children}
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" onClick={close}>
          Cancel
        </button>
        <button type="submit" class={danger ? "danger" : "primary"} disabled={busy || submitDisabled}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

export type DialogProps = Omit<FrameProps, "children"> & FormProps;

/** A modal form. */
export function Dialog({ title, class: extra, onClose, ...form }: DialogProps) {
  return (
    <DialogFrame title={title} class={extra} onClose={onClose}>
      <DialogForm {...form} />
    </DialogFrame>
  );
}

interface ConfirmProps {
  title: string;
  confirmLabel: string;
  /** Styles the confirm button as destructive. */
  danger?: boolean;
  confirmDisabled?: boolean;
  class?: string;
  /** What confirming does, in words (and any options). */
  children: ComponentChildren;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/** A modal asking to confirm one action. */
export function ConfirmDialog({ confirmLabel, confirmDisabled, onConfirm, ...rest }: ConfirmProps) {
  return <Dialog {...rest} submitLabel={confirmLabel} submitDisabled={confirmDisabled} onSubmit={onConfirm} />;
}
