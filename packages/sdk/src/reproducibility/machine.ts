// Node-only.
import { arch, cpus, hostname, platform, release, totalmem } from "node:os";
import type { RunEnvironment } from "@cairn/core";

/** Node version, OS, CPU, memory and host name. */
export function captureMachine(): RunEnvironment {
  const cpuList = cpus();
  const out: RunEnvironment = {
    node: process.version,
    os: `${platform()} ${release()}`,
    arch: arch(),
    cpuCount: cpuList.length,
    memoryBytes: totalmem(),
    hostname: hostname(),
  };
  const model = cpuList[0]?.model.trim();
  if (model) out.cpuModel = model;
  return out;
}
