import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init } from "../run/init.js";
import { CairnError, CairnNetworkError } from "../client/errors.js";
import { Transport } from "../client/http.js";
import { ModelsApi } from "./client.js";

// Port 9 (discard) refuses connections here: any request that is sent fails as a network error.
const nowhere = "http://127.0.0.1:9";
const api = (project?: string) => new ModelsApi(new Transport({ url: nowhere, timeoutMs: 2_000 }), { url: nowhere, apiKey: undefined }, project);

describe("ModelsApi before any request", () => {
  it("without a project every call rejects (never throws) with a CairnError saying how to give one", async () => {
    const m = api();
    const calls = [() => m.get("churn"), () => m.list(), () => m.version("churn", 1), () => m.promote("churn", 1, "production"), () => m.register({ name: "churn", runId: "x", artifactPath: "m" })];
    for (const call of calls) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = call();
      }).not.toThrow();
      await expect(promise).rejects.toThrow(/pass `project`.*CAIRN_PROJECT/);
    }
  });

  it("a check spec that is wrong rejects before anything is sent; with a project the request goes out", async () => {
    const m = api("p");
    await expect(m.check("churn", 1, { kind: "bias", data: [{ a: 1 }], group: "g", label: "y", prediction: "p" })).rejects.toThrow(/no column "g"/);
    await expect(m.check("churn", 1, { kind: "bias", data: [{ a: 1 }], group: "g", label: "y", prediction: "p" })).rejects.not.toBeInstanceOf(CairnNetworkError);
    await expect(m.get("churn")).rejects.toBeInstanceOf(CairnNetworkError);
    await expect(m.load("churn", { digest: "not-a-digest" }, { cacheDir: "/nonexistent" })).rejects.toThrow(CairnError);
  });
});

describe("run.registerModel", () => {
  it("an offline run rejects at once, saying how to register later", async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), "cairn-models-offline-"));
    try {
      const run = await init({ project: "p", url: nowhere, mode: "offline", spoolDir, capture: false });
      const t0 = Date.now();
      await expect(run.registerModel("churn", "model.json")).rejects.toThrow(/offline run.*cairn sync/);
      expect(Date.now() - t0).toBeLessThan(1_000);
      await run.finish();
    } finally {
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
