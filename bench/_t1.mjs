import { rawCopyPostgres, rawCopyPglite, naivePostgres, naivePglite } from "./ingest.mjs";
const base = "postgres://postgres@127.0.0.1:5432/test";
console.log("pg copy", await rawCopyPostgres({ baseUrl: base, keys: 100, steps: 10000 }));
console.log("pg naive", await naivePostgres({ baseUrl: base, points: 20000 }));
console.log("pglite copy", await rawCopyPglite({ keys: 100, steps: 10000 }));
console.log("pglite naive", await naivePglite({ points: 20000 }));
