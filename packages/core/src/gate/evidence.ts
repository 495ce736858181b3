/**
 * What the gate's evaluator reads: everything the server gathered from its tables for one
 * evaluation. Plain data, so the evaluation is a pure function of (rules, evidence, now).
 */

/** A dataset version a check or a model version used, with its role (`test`, `reference`, …). */
export interface EvidenceDataset {
  datasetVersionId: string;
  role: string;
  /** For messages only: `test v2` reads better than an id. */
  label?: string | undefined;
}

/** A stored check result, as the gate needs it. */
export interface CheckEvidence {
  id: string;
  kind: string;
  name: string | null;
  status: string;
  figures: Record<string, unknown>;
  datasets: EvidenceDataset[];
  /** ISO 8601. */
  createdAt: string;
}

/** A model version with its metrics snapshot and its stored checks (any order). */
export interface VersionEvidence {
  id: string;
  version: number;
  createdAt: string;
  metrics: Record<string, number>;
  /** The version's own dataset versions (training, test, …): what its metrics snapshot was measured on. */
  datasets: EvidenceDataset[];
  checks: CheckEvidence[];
}

/** Signature compatibility with the holder of an alias, computed by the server for this evaluation. */
export type CompatibilityEvidence =
  | { status: "no_holder" }
  | { status: "no_signature"; which: "candidate" | "holder"; holderVersion: number }
  | {
      status: "compared";
      holderVersion: number;
      compatible: boolean;
      /** What breaks the holder's callers, in words (empty when compatible). */
      problems: string[];
      /** The server check result the comparison was stored as. */
      check: { id: string; createdAt: string };
    };

export interface GateEvidence {
  candidate: VersionEvidence;
  /** alias → the version holding it at evaluation time (null: nobody); every alias a rule names. */
  holders: Record<string, VersionEvidence | null>;
  /** alias → the signature comparison against its holder; every alias a schema rule names. */
  compatibility: Record<string, CompatibilityEvidence>;
}
