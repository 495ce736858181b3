import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSetValue, parseSets } from "../../src/cli/rerun.js";
import { mergeParams, parseRerunEnv } from "../../src/reproducibility/options.js";
import { isSecretName, pickEnv, stripUrlCredentials } from "../../src/reproducibility/redact.js";
import { shellCommand, shellQuote } from "../../src/reproducibility/shell.js";
import { parseNvidiaSmi } from "../../src/system/nvidia.js";

// Credentials drawn from characters that never occur in the generated hosts and paths, so
// "the secret does not appear in the output" is a meaningful check.
const secretChars = fc.constantFrom(..."QWXZ9876%!$&'()*+,;=~".split(""));
const secret = fc.string({ unit: secretChars, minLength: 1, maxLength: 20 }).map((s) => `Q${s}`);
const user = fc.string({ unit: fc.constantFrom(..."QWXZuvw-._".split("")), minLength: 1, maxLength: 12 }).map((s) => `Z${s}`);
const label = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnop0123".split("")), minLength: 1, maxLength: 10 });
const host = fc.tuple(label, label).map(([a, b]) => `${a}.${b}`);
const path = fc.array(label, { maxLength: 4 }).map((p) => p.map((s) => `/${s}`).join(""));

describe("stripUrlCredentials", () => {
  it("examples", () => {
    expect(stripUrlCredentials("https://user:token@github.com/org/repo.git")).toBe("https://github.com/org/repo.git");
    expect(stripUrlCredentials("https://ghp_abc@github.com/org/repo.git")).toBe("https://github.com/org/repo.git");
    expect(stripUrlCredentials("ssh://git:pw@host:2222/org/repo.git")).toBe("ssh://git@host:2222/org/repo.git");
    expect(stripUrlCredentials("ssh://git@host/org/repo.git")).toBe("ssh://git@host/org/repo.git");
    expect(stripUrlCredentials("git@github.com:org/repo.git")).toBe("git@github.com:org/repo.git");
    expect(stripUrlCredentials("deploy:p@ss@host:org/repo.git")).toBe("deploy@host:org/repo.git");
    expect(stripUrlCredentials("https://host/repo.git?access_token=abc#x")).toBe("https://host/repo.git");
    expect(stripUrlCredentials("/srv/git/repo.git")).toBe("/srv/git/repo.git");
    expect(stripUrlCredentials("https://u:p@ss@host")).toBe("https://host");
  });

  it("never keeps a password or an http(s) user, and keeps scheme, host and path (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom("https", "http", "ssh", "git+ssh", "ftp"), user, fc.option(secret), host, path, (scheme, u, pw, h, p) => {
        const url = `${scheme}://${u}${pw === null ? "" : `:${pw}`}@${h}${p}`;
        const out = stripUrlCredentials(url);
        const keepsUser = scheme === "ssh" || scheme === "git+ssh";
        const expected = `${scheme}://${keepsUser ? `${u}@` : ""}${h}${p}`;
        expect(out).toBe(expected);
        // A password may be a substring of what is kept (user "ZQZ", password "QZ"): only then may it appear.
        if (pw !== null && !expected.includes(pw)) expect(out).not.toContain(pw);
      }),
    );
  });

  it("scp-like remotes lose the password only (property)", () => {
    fc.assert(
      fc.property(user, secret, host, path, (u, pw, h, p) => {
        expect(stripUrlCredentials(`${u}:${pw}@${h}:org${p}`)).toBe(`${u}@${h}:org${p}`);
        expect(stripUrlCredentials(`${u}@${h}:org${p}`)).toBe(`${u}@${h}:org${p}`);
      }),
    );
  });

  it("is idempotent (property)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(stripUrlCredentials(stripUrlCredentials(s))).toBe(stripUrlCredentials(s));
      }),
    );
  });
});

describe("environment allowlist", () => {
  it("keeps allowlisted and CAIRN_* variables, refuses secret-looking names even when asked for", () => {
    const env = {
      NODE_ENV: "production",
      CAIRN_PROJECT: "p",
      CAIRN_API_KEY: "cairn_secret",
      AWS_SECRET_ACCESS_KEY: "aws",
      MY_SERVICE_TOKEN: "tok",
      MY_VAR: "mine",
      HOME: "/root",
      CAIRN_URL: "https://user:pw@cairn.example.com/",
    };
    expect(pickEnv(env, ["MY_VAR", "MY_SERVICE_TOKEN", "AWS_SECRET_ACCESS_KEY"])).toEqual({
      NODE_ENV: "production",
      CAIRN_PROJECT: "p",
      MY_VAR: "mine",
      CAIRN_URL: "https://cairn.example.com/",
    });
  });

  it("no picked name ever matches the secret rule (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), fc.array(fc.string()), (env, extra) => {
        for (const name of Object.keys(pickEnv(env, [...extra, ...Object.keys(env)]))) expect(isSecretName(name)).toBe(false);
      }),
    );
  });
});

describe("shell quoting", () => {
  it("a quoted argument reaches the program unchanged through sh (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom(..."ab $'\"\\`*?;&|<>(){}[]#~=%\t\n-".split("")) }), { minLength: 1, maxLength: 4 }), (args) => {
        const out = execFileSync("sh", ["-c", `printf '%s\\0' ${args.map(shellQuote).join(" ")}`]).toString();
        expect(out.split("\0").slice(0, -1)).toEqual(args);
      }),
      { numRuns: 40 },
    );
  });

  it("leaves plain words alone", () => {
    expect(shellCommand(["node", "train.js", "--lr=0.1"])).toBe("node train.js --lr=0.1");
    expect(shellCommand(["node", "my script.js", ""])).toBe("node 'my script.js' ''");
  });
});

describe("rerun params", () => {
  it("--set values are typed", () => {
    expect(parseSetValue("0.5")).toBe(0.5);
    expect(parseSetValue("-3e2")).toBe(-300);
    expect(parseSetValue("true")).toBe(true);
    expect(parseSetValue("false")).toBe(false);
    expect(parseSetValue("adam")).toBe("adam");
    expect(parseSetValue('"0.5"')).toBe("0.5");
    expect(parseSetValue("1e999")).toBe("1e999");
    expect(parseSets(["lr=0.5", "opt=a=b"])).toEqual({ lr: 0.5, opt: "a=b" });
    expect(() => parseSets(["lr"])).toThrow(/key=value/);
    expect(() => parseSets(["=1"])).toThrow(/key=value/);
  });

  it("finite numbers round-trip through --set (property)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(parseSetValue(String(n))).toBe(n === 0 ? 0 : n); // String(-0) is "0"
      }),
    );
  });

  it("CAIRN_PARAMS wins over the script's params, the script's over the seed", () => {
    expect(mergeParams({ lr: 0.1, epochs: 3 }, 7, { lr: 0.5 })).toEqual({ lr: 0.5, epochs: 3, seed: 7 });
    expect(mergeParams({ seed: 1 }, 7, undefined)).toEqual({ seed: 1 });
    expect(mergeParams(undefined, undefined, undefined)).toBeUndefined();
  });

  it("invalid CAIRN_* rerun variables are named in the error", () => {
    expect(() => parseRerunEnv("nope", undefined)).toThrow(/CAIRN_RERUN_OF/);
    expect(() => parseRerunEnv(undefined, "{")).toThrow(/CAIRN_PARAMS/);
    expect(() => parseRerunEnv(undefined, '{"lr":[1]}')).toThrow(/CAIRN_PARAMS/);
    expect(parseRerunEnv("0190B0D6-7A1F-7000-8000-000000000001", '{"lr":0.5}')).toEqual({ rerunOf: "0190b0d6-7a1f-7000-8000-000000000001", params: { lr: 0.5 } });
  });
});

describe("nvidia-smi output", () => {
  it("parses utilisation and memory (MiB → bytes), skips N/A and junk", () => {
    expect(parseNvidiaSmi("0, 35, 1024, 16384\n1, [N/A], 0, 8192\nNo devices were found\n")).toEqual([
      { index: 0, utilizationPercent: 35, memoryUsedBytes: 1024 * 2 ** 20, memoryTotalBytes: 16384 * 2 ** 20 },
      { index: 1, memoryUsedBytes: 0, memoryTotalBytes: 8192 * 2 ** 20 },
    ]);
  });

  it("every generated line comes back as written (property)", () => {
    const gpu = fc.record({ index: fc.nat(15), util: fc.nat(100), used: fc.nat(81920), total: fc.nat(81920) });
    fc.assert(
      fc.property(fc.array(gpu, { maxLength: 8 }), (gpus) => {
        const text = gpus.map((g) => `${g.index}, ${g.util}, ${g.used}, ${g.total}`).join("\n");
        expect(parseNvidiaSmi(text)).toEqual(gpus.map((g) => ({ index: g.index, utilizationPercent: g.util, memoryUsedBytes: g.used * 2 ** 20, memoryTotalBytes: g.total * 2 ** 20 })));
      }),
    );
  });

  it("never throws on arbitrary input (property)", () => {
    fc.assert(fc.property(fc.string(), (s) => void parseNvidiaSmi(s)));
  });
});
