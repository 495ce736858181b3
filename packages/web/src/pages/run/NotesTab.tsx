import type { Run } from "@cairn/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, seg } from "../../api/client.js";
import { canWrite, useWhoAmI } from "../../app/Shell.js";

/** The server's limit on notes (UpdateRun.notes). */
const MAX_NOTES = 100_000;

/** Free text about the run, shown as typed (never as HTML); writers edit it in place. */
export function NotesTab({ run }: { run: Run }) {
  const me = useWhoAmI();
  const writer = canWrite(me);
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (notes: string) => api.patch<Run>(`/runs/${seg(run.id)}`, { notes }),
    onSuccess: (updated) => {
      queryClient.setQueryData(["run", run.id], updated);
      setDraft(null);
    },
  });
  const editing = draft !== null;

  return (
    <section className="card" aria-labelledby="run-notes-title">
      <div className="row run-card-head">
        <h2 id="run-notes-title">Notes</h2>
        <span className="spacer" />
        {writer && !editing && (
          <button
            type="button"
            onClick={() => {
              save.reset();
              setDraft(run.notes);
            }}
          >
            {run.notes ? "Edit notes" : "Add notes"}
          </button>
        )}
      </div>
      {editing ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(draft);
          }}
        >
          <label className="field">
            Notes (plain text)
            <textarea
              value={draft}
              maxLength={MAX_NOTES}
              onChange={(e) => setDraft(e.target.value)}
              rows={12}
              // biome-ignore lint/a11y/noAutofocus: the user just asked to edit; the field is what they want next
              autoFocus
              onKeyDown={(e) => {
                if (e.key === "Escape") setDraft(null);
              }}
            />
          </label>
          {save.error && (
            <p className="alert bad" role="alert">
              The notes were not saved: {save.error.message}
            </p>
          )}
          <div className="row">
            <button type="submit" className="primary" disabled={save.isPending || draft === run.notes}>
              {save.isPending ? "Saving…" : "Save"}
            </button>
            <button type="button" onClick={() => setDraft(null)} disabled={save.isPending}>
              Cancel
            </button>
            <span className="muted small">
              {draft.length.toLocaleString("en-US")} / {MAX_NOTES.toLocaleString("en-US")} characters
            </span>
          </div>
        </form>
      ) : run.notes ? (
        <div className="run-notes" data-testid="run-notes">
          {run.notes}
        </div>
      ) : (
        <p className="muted">
          No notes. {writer ? "Add what you tried and what you learned, for whoever reads this run next. " : "Writers can add them here. "}
          Scripts set them with <code>run.setNotes("…")</code>.
        </p>
      )}
    </section>
  );
}
