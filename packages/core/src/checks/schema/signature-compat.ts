import type { ColumnType } from "../../schemas/datasets.js";
import type { ModelSignature } from "../../schemas/models.js";

export interface SignatureTypeChange {
  column: string;
  side: "input" | "output";
  /** The type in the holder's signature (what callers send or read today). */
  from: ColumnType;
  /** The type in the candidate's signature. */
  to: ColumnType;
}

export interface SignatureCompatibility {
  compatible: boolean;
  /** Inputs the candidate needs (not nullable) that the holder's signature lacks: today's callers do not send them. */
  missingInputs: string[];
  /** New inputs the candidate accepts as nullable: callers may leave them out, so they do not break anything. */
  addedInputs: string[];
  /** Holder inputs the candidate no longer reads: callers sending them are unaffected. */
  removedInputs: string[];
  /** Shared inputs or outputs whose type differs. */
  typeChanges: SignatureTypeChange[];
  /** Outputs of the holder the candidate no longer produces: whoever reads them breaks. */
  removedOutputs: string[];
}

/** By name; the first column of a name wins, as a caller's record has one value per key. */
function byName(columns: ModelSignature["inputs"]): Map<string, ModelSignature["inputs"][number]> {
  const out = new Map<string, ModelSignature["inputs"][number]>();
  for (const c of columns) if (!out.has(c.name)) out.set(c.name, c);
  return out;
}

const sorted = (names: Iterable<string>) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Whether `candidate` can replace `holder` (the version an alias points at) without breaking
 * the code around it: every input callers must send today is enough for the candidate (a new
 * required input or a shared column of another type breaks them), and every output they read
 * is still there with its type. Used by the server's `schema` check and the gate's
 * `{check: "schema", compatibleWith}` rule, so both judge alike.
 */
export function compareSignatures(candidate: ModelSignature, holder: ModelSignature): SignatureCompatibility {
  const candidateInputs = byName(candidate.inputs);
  const holderInputs = byName(holder.inputs);
  const missing: string[] = [];
  const added: string[] = [];
  const typeChanges: SignatureTypeChange[] = [];
  for (const [name, c] of candidateInputs) {
    const h = holderInputs.get(name);
    if (!h) (c.nullable ? added : missing).push(name);
    else if (h.type !== c.type) typeChanges.push({ column: name, side: "input", from: h.type, to: c.type });
  }
  const removedInputs = [...holderInputs.keys()].filter((n) => !candidateInputs.has(n));
  const candidateOutputs = byName(candidate.outputs);
  const removedOutputs: string[] = [];
  for (const [name, h] of byName(holder.outputs)) {
    const c = candidateOutputs.get(name);
    if (!c) removedOutputs.push(name);
    else if (c.type !== h.type) typeChanges.push({ column: name, side: "output", from: h.type, to: c.type });
  }
  typeChanges.sort((a, b) => (a.side === b.side ? (a.column < b.column ? -1 : a.column > b.column ? 1 : 0) : a.side === "input" ? -1 : 1));
  return {
    compatible: missing.length === 0 && typeChanges.length === 0 && removedOutputs.length === 0,
    missingInputs: sorted(missing),
    addedInputs: sorted(added),
    removedInputs: sorted(removedInputs),
    typeChanges,
    removedOutputs: sorted(removedOutputs),
  };
}
