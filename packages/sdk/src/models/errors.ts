import { type GateEvaluation, GateEvaluation as GateEvaluationSchema, type Problem } from "@cairn/core";
import { ConflictError, InvalidResponseError } from "../client/errors.js";
import type { RawResponse } from "../client/http.js";
import { errorFromResponse } from "../client/http.js";
import { refusalMessage } from "./gate-text.js";

/**
 * The gate refused a promotion (HTTP 409 `gate_failed`): the alias did not move. The
 * message lists each failed rule with what was observed, the bound and the evidence;
 * `evaluation` holds the whole stored evaluation. A `ConflictError`, so code that
 * catches those keeps working.
 */
export class GateRefusedError extends ConflictError {
  override name = "GateRefusedError";
  readonly evaluation: GateEvaluation;

  constructor(problem: Problem, evaluation: GateEvaluation) {
    super(409, problem, refusalMessage(evaluation));
    this.evaluation = evaluation;
  }
}

/** The typed error of a failed models/gate call: GateRefusedError for a refused promotion, else the client's usual error. */
export function modelsError(res: RawResponse): Error {
  const err = errorFromResponse(res);
  if (res.status !== 409 || err.code !== "gate_failed" || !err.problem) return err;
  const evaluation = GateEvaluationSchema.safeParse(err.problem.evaluation);
  if (!evaluation.success) return new InvalidResponseError(`a refused promotion without a readable evaluation: ${evaluation.error.message}`);
  return new GateRefusedError(err.problem, evaluation.data);
}
