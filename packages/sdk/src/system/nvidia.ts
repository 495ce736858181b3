/** One GPU as reported by `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total`. */
export interface GpuSample {
  index: number;
  utilizationPercent?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
}

export const NVIDIA_SMI_ARGS = ["--query-gpu=index,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"];

const MIB = 1024 * 1024;

function num(field: string | undefined): number | undefined {
  const t = field?.trim();
  // nvidia-smi prints "[N/A]" or "[Not Supported]" for values a GPU does not report.
  if (t === undefined || t === "" || !/^-?\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** Parses `--format=csv,noheader,nounits` output (memory in MiB); malformed lines are skipped. */
export function parseNvidiaSmi(output: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of output.split(/\r?\n/)) {
    const fields = line.split(",");
    if (fields.length < 4) continue;
    const index = num(fields[0]);
    if (index === undefined || !Number.isInteger(index) || index < 0) continue;
    const gpu: GpuSample = { index };
    const util = num(fields[1]);
    const used = num(fields[2]);
    const total = num(fields[3]);
    if (util !== undefined) gpu.utilizationPercent = util;
    if (used !== undefined) gpu.memoryUsedBytes = used * MIB;
    if (total !== undefined) gpu.memoryTotalBytes = total * MIB;
    out.push(gpu);
  }
  return out;
}
