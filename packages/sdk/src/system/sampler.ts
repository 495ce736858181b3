// Node-only: loaded by init() through a dynamic import() when `system` is on.
import { freemem, loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { execCapped } from "../reproducibility/exec.js";
import { NVIDIA_SMI_ARGS, parseNvidiaSmi } from "./nvidia.js";

export const DEFAULT_SYSTEM_INTERVAL_MS = 10_000;

type Log = (metrics: Record<string, number>, opts: { step: number }) => void;

/**
 * Logs `system/*` metrics every `intervalMs`, step = sample number (0, 1, …). The timer is
 * unref'd (it never keeps the process alive) and `stop()` ends it. CPU percent is this
 * process's CPU time over wall time since the previous sample (can exceed 100 with threads).
 */
export class SystemSampler {
  private readonly timer: NodeJS.Timeout;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private step = 0;
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();
  /** Off after the first failure: no nvidia-smi on PATH means no GPU metrics, not an error per sample. */
  private gpu = true;
  private gpuBusy = false;
  private stopped = false;

  constructor(
    private readonly log: Log,
    intervalMs: number = DEFAULT_SYSTEM_INTERVAL_MS,
  ) {
    this.loopDelay.enable();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.loopDelay.disable();
  }

  private sample(): void {
    const step = this.step++;
    const wall = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedUs = (wall - this.lastWall) * 1000;
    this.lastCpu = process.cpuUsage();
    this.lastWall = wall;
    const mem = process.memoryUsage();
    const metrics: Record<string, number> = {
      "system/cpu_percent": elapsedUs > 0 ? ((cpu.user + cpu.system) / elapsedUs) * 100 : 0,
      "system/cpu_load": loadavg()[0]!,
      "system/memory_rss_bytes": mem.rss,
      "system/heap_used_bytes": mem.heapUsed,
      "system/memory_available_bytes": freemem(),
    };
    if (this.loopDelay.count > 0) metrics["system/event_loop_lag_ms"] = this.loopDelay.percentile(99) / 1e6;
    this.loopDelay.reset();
    this.log(metrics, { step });
    if (this.gpu && !this.gpuBusy) void this.sampleGpu(step);
  }

  private async sampleGpu(step: number): Promise<void> {
    this.gpuBusy = true;
    try {
      const r = await execCapped("nvidia-smi", NVIDIA_SMI_ARGS, { timeoutMs: 5_000, maxBytes: 64 * 1024 });
      const gpus = r.code === 0 ? parseNvidiaSmi(r.stdout.toString("utf8")) : [];
      if (gpus.length === 0) {
        this.gpu = false;
        return;
      }
      if (this.stopped) return;
      const metrics: Record<string, number> = {};
      for (const g of gpus) {
        if (g.utilizationPercent !== undefined) metrics[`system/gpu${g.index}/utilization_percent`] = g.utilizationPercent;
        if (g.memoryUsedBytes !== undefined) metrics[`system/gpu${g.index}/memory_used_bytes`] = g.memoryUsedBytes;
        if (g.memoryTotalBytes !== undefined) metrics[`system/gpu${g.index}/memory_total_bytes`] = g.memoryTotalBytes;
      }
      this.log(metrics, { step });
    } finally {
      this.gpuBusy = false;
    }
  }
}
