import type { GateEvaluation, ModelVersion, PromoteResult } from "@cairn/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { ApiError, api, seg } from "../../api/client.js";
import { useWhoAmI } from "../../app/Shell.js";
import { ErrorState, Loading } from "../../components/States.js";
import { modelKey, modelPath } from "./modelsApi.js";
import { RuleTable } from "./RuleTable.js";

/** The alias name rule of the contract (core's AliasName), checked before asking the server. */
const ALIAS_NAME = /^[a-z][a-z0-9_-]*$/;

type Attempt =
  | { kind: "promoted"; result: PromoteResult; alreadyHeld: boolean }
  | { kind: "refused"; evaluation: GateEvaluation; holder: number | null };

const holderText = (alias: string, v: number | null | undefined) => (v === null || v === undefined ? `${alias} points at no version` : `${alias} points at v${v}`);

function isGateRefusal(err: unknown): err is ApiError & { problem: { evaluation: Record<string, unknown> } } {
  return err instanceof ApiError && err.status === 409 && err.problem?.code === "gate_failed" && err.problem.evaluation !== undefined;
}

function AttemptOutcome({ attempt, alias, version, onNavigate }: { attempt: Attempt; alias: string; version: number; onNavigate: () => void }) {
  if (attempt.kind === "refused") {
    const failed = attempt.evaluation.rules.filter((r) => !r.passed).length;
    return (
      <div className="stack">
        <div className="alert bad" role="alert">
          <strong>Promotion refused.</strong> {failed} of {attempt.evaluation.rules.length} rule{attempt.evaluation.rules.length === 1 ? "" : "s"} failed; the alias did not move:{" "}
          {holderText(alias, attempt.holder)}.
          <div className="small">Stored as evaluation {attempt.evaluation.id} (policy revision {attempt.evaluation.policyRevision ?? "none"}).</div>
        </div>
        <RuleTable rules={attempt.evaluation.rules} version={attempt.evaluation.version} caption="Rules of the refused promotion" onNavigate={onNavigate} />
      </div>
    );
  }
  const { alias: moved, evaluation } = attempt.result;
  return (
    <div className="stack">
      <div className="alert ok" role="status">
        {attempt.alreadyHeld ? (
          <>
            <strong>v{version} already held {alias}.</strong> The evaluation was stored; nothing moved.
          </>
        ) : (
          <>
            <strong>Promoted{evaluation.forced ? " (forced override)" : ""}:</strong> {holderText(moved.alias, moved.version)}.
          </>
        )}
        <div className="small">Evaluation {evaluation.id}.</div>
      </div>
      <RuleTable rules={evaluation.rules} version={evaluation.version} caption="Rules of the promotion" onNavigate={onNavigate} />
    </div>
  );
}

/**
 * Promote a version to an alias through the gate. Opening it runs a dry run (stored as a
 * `dry_run` evaluation, nothing moves) so the rules that would fail are visible before
 * trying; the attempt then shows the stored evaluation of the promotion or of its refusal.
 */
export function PromoteDialog({
  project,
  name,
  versions,
  aliasNames,
  holders,
  initialVersion,
  initialAlias,
  onClose,
}: {
  project: string;
  name: string;
  /** Versions that can be promoted (not archived), newest first. */
  versions: ModelVersion[];
  /** Aliases the model has or has a policy for, offered as suggestions. */
  aliasNames: string[];
  /** alias → version it points at now. */
  holders: Record<string, number>;
  initialVersion: number | undefined;
  initialAlias: string;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const firstField = useRef<HTMLSelectElement>(null);
  const ids = useId();
  const me = useWhoAmI();
  const queryClient = useQueryClient();
  const [alias, setAlias] = useState(initialAlias);
  const [version, setVersion] = useState<number | undefined>(initialVersion ?? versions[0]?.version);
  const [reason, setReason] = useState("");
  const [force, setForce] = useState(false);
  const [attempt, setAttempt] = useState<Attempt | undefined>();
  const aliasValid = ALIAS_NAME.test(alias) && alias.length <= 100;

  // A modal <dialog>: the browser traps focus, Escape closes it (the close event), and
  // focus goes back to the button that opened it when it unmounts.
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    firstField.current?.focus();
    return () => opener?.focus();
  }, []);

  const dryRun = useQuery({
    queryKey: ["dry-run", project, name, alias, version],
    queryFn: () => api.post<GateEvaluation>(`${modelPath(project, name)}/aliases/${seg(alias)}/evaluate`, { version }),
    enabled: aliasValid && version !== undefined,
    // Each dry run is stored and audited: evaluate on open and on demand, never in the background.
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });

  const promote = useMutation({
    mutationFn: (input: { alias: string; version: number; reason: string; force: boolean }) =>
      api.put<PromoteResult>(`${modelPath(project, name)}/aliases/${seg(input.alias)}`, {
        version: input.version,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.force ? { force: true } : {}),
      }),
    onSuccess: (result, input) => {
      setAttempt({ kind: "promoted", result, alreadyHeld: holders[input.alias] === input.version });
    },
    onError: (err, input) => {
      if (isGateRefusal(err)) {
        // The 409 body's `evaluation` is the stored GateEvaluation; Problem types it loosely as a record.
        setAttempt({ kind: "refused", evaluation: err.problem.evaluation as unknown as GateEvaluation, holder: holders[input.alias] ?? null });
      }
    },
    // A refusal is stored too (evaluation, audit event): every list that shows them refreshes.
    onSettled: () => queryClient.invalidateQueries({ queryKey: modelKey(project, name) }),
  });

  const reset = () => {
    setAttempt(undefined);
    promote.reset();
  };
  const close = () => dialog.current?.close();
  const dryRunFailed = dryRun.data !== undefined && !dryRun.data.passed;
  const canForce = me?.role === "admin" && (dryRunFailed || attempt?.kind === "refused");
  const forceNeedsReason = force && reason.trim() === "";
  const otherError = promote.error && !isGateRefusal(promote.error) ? promote.error : undefined;

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!aliasValid || version === undefined || forceNeedsReason) return;
    setAttempt(undefined);
    promote.mutate({ alias, version, reason: reason.trim(), force });
  };

  return (
    <dialog ref={dialog} className="promote-dialog" aria-labelledby={`${ids}-title`} aria-describedby={`${ids}-desc`} onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <div className="row">
          <h2 id={`${ids}-title`}>Promote {name}</h2>
          <span className="spacer" />
          <button type="button" className="link" onClick={close}>
            Close
          </button>
        </div>
        <p id={`${ids}-desc`} className="muted small">
          The alias moves only if every rule of its policy passes on the evidence the server has stored. Now: {holderText(alias || "the alias", aliasValid ? holders[alias] : undefined)}.
        </p>
        <div className="row promote-fields">
          <label className="field">
            Version
            <select
              ref={firstField}
              value={version ?? ""}
              onChange={(e) => {
                setVersion(e.target.value ? Number(e.target.value) : undefined);
                reset();
              }}
            >
              {versions.length === 0 && <option value="">no version can be promoted</option>}
              {versions.map((v) => (
                <option key={v.id} value={v.version}>
                  v{v.version}
                  {v.aliases.length > 0 ? ` (${v.aliases.join(", ")})` : ""}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Alias
            <input
              value={alias}
              list={`${ids}-aliases`}
              onChange={(e) => {
                setAlias(e.target.value.trim());
                reset();
              }}
              aria-invalid={!aliasValid}
              aria-describedby={aliasValid ? undefined : `${ids}-alias-error`}
              spellCheck={false}
              autoComplete="off"
            />
            <datalist id={`${ids}-aliases`}>
              {aliasNames.map((a) => (
                <option key={a} value={a} />
              ))}
            </datalist>
          </label>
          <label className="field reason-field">
            Reason (recorded in the history)
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={5000} placeholder="e.g. retrained on November data" />
          </label>
        </div>
        {!aliasValid && (
          <p id={`${ids}-alias-error`} className="alert bad small">
            An alias is a lowercase word starting with a letter (letters, digits, _ and -), such as production or staging.
          </p>
        )}

        <section aria-labelledby={`${ids}-eval`} aria-live="polite" className="gate-section">
          {attempt ? (
            <>
              <h3 id={`${ids}-eval`}>Result of the promotion</h3>
              <AttemptOutcome attempt={attempt} alias={alias} version={version ?? 0} onNavigate={close} />
            </>
          ) : (
            <>
              <div className="row">
                <h3 id={`${ids}-eval`}>Gate evaluation (dry run)</h3>
                <span className="spacer" />
                {dryRun.data && <span className={`badge ${dryRun.data.passed ? "ok" : "bad"}`}>{dryRun.data.passed ? "would pass" : "would be refused"}</span>}
                <button type="button" onClick={() => void dryRun.refetch()} disabled={!aliasValid || version === undefined || dryRun.isFetching}>
                  Re-evaluate
                </button>
              </div>
              {!aliasValid || version === undefined ? (
                <p className="muted small">Choose a version and an alias to evaluate.</p>
              ) : dryRun.error ? (
                <ErrorState error={dryRun.error} retry={() => void dryRun.refetch()} />
              ) : dryRun.isPending || dryRun.isFetching ? (
                <Loading rows={3} label="Evaluating the policy" />
              ) : dryRun.data ? (
                <>
                  <p className="muted small">
                    Against {dryRun.data.currentVersion === null ? "no current holder" : `the current holder v${dryRun.data.currentVersion}`} · policy revision {dryRun.data.policyRevision ?? "none"} · stored as dry
                    run {dryRun.data.id.slice(0, 8)}…
                  </p>
                  <RuleTable rules={dryRun.data.rules} version={dryRun.data.version} caption="Rules of the dry run" onNavigate={close} />
                </>
              ) : null}
            </>
          )}
        </section>

        {otherError !== undefined && (
          <p className="alert bad" role="alert">
            {otherError instanceof ApiError ? otherError.fieldMessage : String(otherError)}
          </p>
        )}

        {canForce && (
          <label className="inline small force-field">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
            Force past the failed rules (admin override, recorded as forced; needs a reason)
          </label>
        )}
        {forceNeedsReason && <p className="small warn-text">An override needs a reason.</p>}

        <div className="row dialog-actions">
          <span className="spacer" />
          <button type="button" onClick={close}>
            {attempt?.kind === "promoted" ? "Done" : "Cancel"}
          </button>
          {attempt?.kind !== "promoted" && (
            <button type="submit" className={force ? "danger" : "primary"} disabled={!aliasValid || version === undefined || promote.isPending || forceNeedsReason}>
              {promote.isPending ? "Promoting…" : `${force ? "Force" : "Promote"} v${version ?? "?"} to ${alias || "…"}`}
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}
