import { type BiasReport, classificationMetrics, fairnessMetrics, type PerformanceReport, regressionMetrics } from "@cairn/core";
import { columnOf, numbersOf, readCsvColumns } from "./check-input.js";
import { type CliValues, EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "-" : String(Number(x.toPrecision(4))));

function need(values: CliValues, name: "data" | "group" | "label" | "prediction", cmd: string): string {
  const v = values[name];
  if (v === undefined || v === "") throw new UsageError(`check ${cmd} needs --${name}`);
  return v;
}

/** Figures only: without bounds nothing fails here (the promotion gate judges them), so the exit code is 0. */
export async function checkBiasCommand(values: CliValues): Promise<number> {
  const file = need(values, "data", "bias");
  const [group, label, prediction] = [need(values, "group", "bias"), need(values, "label", "bias"), need(values, "prediction", "bias")];
  const data = await readCsvColumns(file);
  const report = fairnessMetrics({
    groups: columnOf(data, group),
    labels: columnOf(data, label),
    predictions: columnOf(data, prediction),
    ...(values.positive !== undefined ? { positive: values.positive } : {}),
  });
  if (values.json) console.log(JSON.stringify(report));
  else printBias(report, file, group);
  return EXIT_OK;
}

function printBias(r: BiasReport, file: string, group: string): void {
  console.log(`fairness of predictions in ${file} by "${group}" (positive: ${r.positive ?? "-"})\n`);
  const rows = Object.entries(r.groups).map(([g, s]) => [g, String(s.count), fmt(s.selectionRate), fmt(s.truePositiveRate), fmt(s.falsePositiveRate), fmt(s.accuracy)]);
  console.log(`${table(["GROUP", "COUNT", "SELECTION", "TPR", "FPR", "ACCURACY"], rows)}\n`);
  console.log(
    table(
      ["METRIC", "VALUE"],
      [
        ["demographic parity difference", fmt(r.demographicParityDifference)],
        ["demographic parity ratio", fmt(r.demographicParityRatio)],
        ["equal opportunity difference", fmt(r.equalOpportunityDifference)],
        ["equalized odds difference", fmt(r.equalizedOddsDifference)],
      ],
    ),
  );
  for (const n of r.notes) console.log(`note: ${n}`);
}

export async function checkPerformanceCommand(values: CliValues): Promise<number> {
  const task = values.task;
  if (task !== "classification" && task !== "regression") throw new UsageError("check performance needs --task classification|regression");
  const file = need(values, "data", "performance");
  const [label, prediction] = [need(values, "label", "performance"), need(values, "prediction", "performance")];
  const data = await readCsvColumns(file);
  let report: PerformanceReport;
  if (task === "regression") {
    if (values.score !== undefined) throw new UsageError("--score is for classification");
    report = regressionMetrics({ labels: numbersOf(data, label, "a regression label"), predictions: numbersOf(data, prediction, "a regression prediction") });
  } else {
    report = classificationMetrics({
      labels: columnOf(data, label),
      predictions: columnOf(data, prediction),
      ...(values.score !== undefined ? { scores: numbersOf(data, values.score, "a score") } : {}),
      ...(values.positive !== undefined ? { positive: values.positive } : {}),
    });
  }
  if (values.json) console.log(JSON.stringify(report));
  else printPerformance(report, file);
  return EXIT_OK;
}

function printPerformance(r: PerformanceReport, file: string): void {
  console.log(`${r.task} performance on ${file}: ${r.count} rows (${r.missing} skipped for a missing value)\n`);
  const names = r.task === "regression" ? (["mae", "rmse", "r2", "mape"] as const) : (["accuracy", "precision", "recall", "f1", "macroPrecision", "macroRecall", "macroF1", "rocAuc", "logLoss"] as const);
  console.log(table(["METRIC", "VALUE"], names.map((n) => [n, fmt((r as unknown as Record<string, number | null>)[n])])));
  if (r.task === "classification") {
    const m = r.confusionMatrix;
    console.log(`\nconfusion matrix (rows: label, columns: prediction)\n${table(["", ...m.labels], m.matrix.map((row, i) => [m.labels[i]!, ...row.map(String)]))}`);
  }
  for (const n of r.notes) console.log(`note: ${n}`);
}
