import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, pgErrorCode } from "./errors.js";

describe("isDatabaseUnavailable", () => {
  it("knows a database that is away from a request that is wrong", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const closed = Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" });
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    const starting = Object.assign(new Error("the database system is starting up"), { code: "57P03" });
    // drizzle wraps driver errors: the cause chain is followed.
    const wrapped = Object.assign(new Error("Failed query: insert …"), { cause: closed });
    for (const e of [refused, closed, shutdown, starting, wrapped]) expect(isDatabaseUnavailable(e)).toBe(true);
    const unique = Object.assign(new Error("duplicate key"), { code: "23505" });
    for (const e of [unique, new Error("boom"), null, "text", Object.assign(new Error("x"), { cause: unique })]) expect(isDatabaseUnavailable(e)).toBe(false);
    expect(pgErrorCode(Object.assign(new Error("x"), { cause: unique }))).toBe("23505");
  });
});
