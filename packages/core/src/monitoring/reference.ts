import type { ColumnType, DatasetProfile } from "../schemas/datasets.js";
import type { ModelSignature } from "../schemas/models.js";

/** What a model version's predictions are measured against: its training profile and signature. */
export interface ReferenceInput {
  /** The profile of the version's dataset with role `train`; null when none is stored. */
  profile: DatasetProfile | null;
  signature?: ModelSignature | null;
  /** The training data's label column: not an input feature. */
  labelColumn?: string | null;
}

export interface ReferenceFeature {
  name: string;
  type: ColumnType;
  /** Training min/max of a numerical feature (out_of_range). */
  min?: number;
  max?: number;
  /** Nine decile edges of a numerical feature: drift bins are counted against them. */
  edges?: readonly number[];
  /** Every training category, when the profile knows all of them (unseen_category). */
  categories?: ReadonlySet<string>;
  /** Drift is counted for numerical features with deciles and categorical/boolean features with categories. */
  drift: "numerical" | "categorical" | null;
}

/** A reference prepared once per model version (the server caches it): lookups by feature name. */
export interface CompiledReference {
  /** Expected input features; null when neither a signature nor a profile says what they are. */
  features: ReadonlyMap<string, ReferenceFeature> | null;
  hasProfile: boolean;
  /** From the signature's first output: what kind of task labels are scored as, when known. */
  task: "classification" | "regression" | null;
}

export const EMPTY_REFERENCE: CompiledReference = { features: null, hasProfile: false, task: null };

export function compileReference(input: ReferenceInput): CompiledReference {
  const { profile, signature } = input;
  const features = new Map<string, ReferenceFeature>();
  const label = input.labelColumn ?? undefined;
  if (signature && signature.inputs.length > 0) {
    for (const c of signature.inputs) features.set(c.name, { name: c.name, type: c.type, drift: null });
  } else if (profile) {
    for (const c of profile.columns) if (c.name !== label) features.set(c.name, { name: c.name, type: c.type, drift: null });
  }
  if (profile) {
    for (const c of profile.columns) {
      const f = features.get(c.name);
      if (!f) continue;
      if (c.type === "numerical" && c.numerical && f.type === "numerical") {
        f.min = c.numerical.min;
        f.max = c.numerical.max;
        f.edges = c.numerical.deciles.edges;
        f.drift = "numerical";
      } else if ((c.type === "categorical" || c.type === "boolean") && c.categorical && f.type === c.type) {
        if (c.categorical.complete) f.categories = new Set(c.categorical.top.map((t) => t.value));
        f.drift = "categorical";
      }
    }
  }
  const out = signature?.outputs[0]?.type;
  const task = out === undefined ? null : out === "numerical" ? "regression" : out === "categorical" || out === "boolean" ? "classification" : null;
  return { features: features.size > 0 ? features : null, hasProfile: !!profile, task };
}
