import { describe, it, expect } from "vitest";
import { FilterSyntaxError, formatField, formatFilter, parseFilter, parseOrderBy, type FieldRef, type FilterExpr } from "./index.js";

const metric = (key: string): FieldRef => ({ kind: "metric", key });
const param = (key: string): FieldRef => ({ kind: "param", key });
const tag = (key: string): FieldRef => ({ kind: "tag", key });
const attr = (name: FieldRef & { kind: "attribute" }): FieldRef => name;

/** The error parseFilter (or parseOrderBy) throws, as [message without the column suffix, column]. */
function errorOf(input: string, parse: (s: string) => unknown = parseFilter): [string, number] {
  try {
    parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const { message, position } = error as FilterSyntaxError;
    expect(message.endsWith(` (at column ${position})`)).toBe(true);
    return [message.replace(/ \(at column \d+\)$/, ""), position];
  }
  throw new Error(`expected ${JSON.stringify(input)} to fail`);
}

describe("parseFilter: README examples", () => {
  it("a conjunction of a metric, a param and a tag", () => {
    expect(parseFilter('metrics.accuracy > 0.9 and params.optimizer = "adam" and tags.team = "fraud"')).toEqual({
      type: "and",
      items: [
        { type: "compare", field: metric("accuracy"), op: ">", value: 0.9, position: 1 },
        { type: "compare", field: param("optimizer"), op: "=", value: "adam", position: 28 },
        { type: "compare", field: tag("team"), op: "=", value: "fraud", position: 58 },
      ],
    });
  });

  it("in, or, parentheses, is null and dates", () => {
    expect(parseFilter('status in ("failed", "crashed") or (metrics.loss is null and created > "2024-05-01")')).toEqual({
      type: "or",
      items: [
        { type: "in", field: attr({ kind: "attribute", name: "status" }), values: ["failed", "crashed"], negated: false, position: 1 },
        {
          type: "and",
          items: [
            { type: "isNull", field: metric("loss"), negated: false, position: 37 },
            { type: "compare", field: attr({ kind: "attribute", name: "created" }), op: ">", value: "2024-05-01", position: 62 },
          ],
        },
      ],
    });
  });

  it("backtick keys, exponents and not", () => {
    expect(parseFilter('metrics.`val loss` < 1e-3 and not tags.baseline = "true"')).toEqual({
      type: "and",
      items: [
        { type: "compare", field: metric("val loss"), op: "<", value: 0.001, position: 1 },
        { type: "not", expr: { type: "compare", field: tag("baseline"), op: "=", value: "true", position: 35 } },
      ],
    });
  });

  it("keys with dots and slashes, like, attribute prefixes, special metric values", () => {
    expect(parseFilter('params.model.depth >= 12 and name like "resnet-%"')).toEqual({
      type: "and",
      items: [
        { type: "compare", field: param("model.depth"), op: ">=", value: 12, position: 1 },
        { type: "compare", field: { kind: "attribute", name: "name" }, op: "like", value: "resnet-%", position: 30 },
      ],
    });
    expect(parseFilter('attributes.ended is not null and metrics.val/loss != "NaN"')).toEqual({
      type: "and",
      items: [
        { type: "isNull", field: { kind: "attribute", name: "ended" }, negated: true, position: 1 },
        { type: "compare", field: metric("val/loss"), op: "!=", value: "NaN", position: 34 },
      ],
    });
  });
});

describe("parseFilter: pieces of the language", () => {
  const single = (input: string): FilterExpr => parseFilter(input) as FilterExpr;
  const valueOf = (input: string): unknown => (single(`params.p = ${input}`) as { value: unknown }).value;
  const fieldOf = (input: string): unknown => (single(`${input} is null`) as { field: unknown }).field;

  it("returns null for empty input", () => {
    expect(parseFilter("")).toBeNull();
    expect(parseFilter("  \n\t ")).toBeNull();
  });

  it("reads field prefixes in any case and singular form", () => {
    expect(fieldOf("metric.loss")).toEqual(metric("loss"));
    expect(fieldOf("METRICS.loss")).toEqual(metric("loss"));
    expect(fieldOf("Param.lr")).toEqual(param("lr"));
    expect(fieldOf("tag.a:b")).toEqual(tag("a:b"));
    expect(fieldOf("attr.STATUS")).toEqual({ kind: "attribute", name: "status" });
    expect(fieldOf("Parent")).toEqual({ kind: "attribute", name: "parent" });
    expect(fieldOf("metrics.-x..y_")).toEqual(metric("-x..y_"));
    expect(fieldOf("metrics.`a b: c/d`")).toEqual(metric("a b: c/d"));
    expect(fieldOf(`tags.${"k".repeat(250)}`)).toEqual(tag("k".repeat(250)));
  });

  it("reads literals", () => {
    expect(valueOf("-1")).toBe(-1);
    expect(valueOf("0.5")).toBe(0.5);
    expect(valueOf("1e-3")).toBe(0.001);
    expect(valueOf("2.5E+6")).toBe(2_500_000);
    expect(valueOf("-0")).toBe(-0);
    expect(valueOf('"a \\"b\\" \\\\ \\n \\t"')).toBe('a "b" \\ \n \t');
    expect(valueOf("'it\\'s \"x\"'")).toBe('it\'s "x"');
    expect(valueOf("TRUE")).toBe(true);
    expect(valueOf("False")).toBe(false);
    expect(valueOf('""')).toBe("");
  });

  it("normalises operators and keywords", () => {
    expect(single("params.a == 1")).toMatchObject({ op: "=" });
    expect(single("params.a <> 1")).toMatchObject({ op: "!=" });
    expect(single('name NOT LIKE "a%"')).toMatchObject({ op: "not like" });
    expect(single('name not ilike "a%"')).toMatchObject({ op: "not ilike" });
    expect(single("params.a NOT IN (1, true, 'x')")).toMatchObject({ type: "in", negated: true, values: [1, true, "x"] });
    expect(single("metrics.a IS NOT NULL")).toMatchObject({ type: "isNull", negated: true });
    expect(single("metrics.a>=-1")).toMatchObject({ op: ">=", value: -1 });
    expect(single('status = "FAILED"')).toMatchObject({ value: "failed" });
    expect(single('metrics.a != "-infinity"')).toMatchObject({ value: "-Infinity" });
    expect(single("created >= 1714521600000")).toMatchObject({ value: 1714521600000 });
  });

  it("binds not over and over or, and flattens", () => {
    const cmp = (key: string, position: number): FilterExpr => ({ type: "compare", field: metric(key), op: "=", value: 1, position });
    expect(parseFilter("metrics.a = 1 or metrics.b = 1 and not metrics.c = 1")).toEqual({
      type: "or",
      items: [cmp("a", 1), { type: "and", items: [cmp("b", 18), { type: "not", expr: cmp("c", 40) }] }],
    });
    expect(parseFilter("(metrics.a = 1 and metrics.b = 1) and (metrics.c = 1 and (metrics.d = 1))")).toMatchObject({
      type: "and",
      items: [{ field: metric("a") }, { field: metric("b") }, { field: metric("c") }, { field: metric("d") }],
    });
    expect(parseFilter("((metrics.a = 1))")).toMatchObject({ type: "compare", position: 3 });
    expect(parseFilter("not not metrics.d = 1")).toMatchObject({ type: "not", expr: { type: "not" } });
  });

  it("parses long flat chains without recursion", () => {
    const chain = parseFilter(`${"metrics.a = 1 or ".repeat(580)}metrics.a = 1`);
    expect(chain).toMatchObject({ type: "or" });
    expect((chain as { items: unknown[] }).items).toHaveLength(581);
  });

  it("accepts 64 levels of nesting and rejects 65", () => {
    expect(parseFilter(`${"(".repeat(64)}metrics.a = 1${")".repeat(64)}`)).toMatchObject({ type: "compare" });
    expect(errorOf(`${"(".repeat(65)}metrics.a = 1${")".repeat(65)}`)).toEqual([
      'the filter is nested too deeply (more than 64 levels of parentheses or "not")',
      65,
    ]);
    expect(errorOf(`${"not ".repeat(65)}metrics.a = 1`)[1]).toBe(257);
    expect(errorOf("(".repeat(10_000))[1]).toBe(65);
  });
});

describe("parseFilter: errors and their columns", () => {
  const cases: [string, string, number][] = [
    ["metrics.loss >", 'expected a value after ">"', 15],
    ["metricz.loss > 1", 'unknown field prefix "metricz" (use metrics., params., tags. or an attribute: id, name, status, created, started, ended, parent, notes)', 1],
    ["loss < 1", 'unknown field "loss" (use metrics.loss, params.loss, tags.loss or an attribute: id, name, status, created, started, ended, parent, notes)', 1],
    ["attr.colour = 'x'", 'unknown attribute "colour" (attributes are: id, name, status, created, started, ended, parent, notes)', 6],
    ['name = "abc', "unterminated string", 8],
    ["tags.a = 'x\\", "unterminated string", 10],
    ['tags.a = "\\q"', 'unknown escape "\\q" in string (use \\" \\\' \\\\ \\n or \\t)', 11],
    ["metrics.`val loss = 1", "unterminated quoted key (missing closing backtick)", 9],
    ["metrics.a > 1)", 'unexpected ")"', 14],
    [")", 'unexpected ")"', 1],
    ["()", 'unexpected ")"', 2],
    ["(metrics.a > 1", 'missing ")" to close the "(" at column 1', 15],
    ["(metrics.a > 1 metrics.b > 1)", 'expected "and", "or" or ")" but found "metrics.b"', 16],
    ["metrics.a = 1 metrics.b = 2", 'unexpected "metrics.b" (expected "and", "or" or the end of the filter)', 15],
    ["metrics.a = 1 and", 'expected a condition (such as metrics.loss < 0.5) after "and"', 18],
    ["metrics.a = 1 and or metrics.b = 1", 'expected a condition (such as metrics.loss < 0.5) after "and" but found "or"', 19],
    ["0.5 < metrics.a", 'expected a condition (such as metrics.loss < 0.5) but found "0.5"', 1],
    ["Metric.a", 'expected an operator (=, !=, <, <=, >, >=, like, ilike, in, is null) after "Metric.a"', 9],
    ["metrics.a", 'expected an operator (=, !=, <, <=, >, >=, like, ilike, in, is null) after "metrics.a"', 10],
    ["metrics.a ~ 1", 'unexpected character "~"', 11],
    ["metrics.a === 1", 'expected a value after "==" but found "="', 13],
    ["metrics.a is 1", 'expected "null" or "not null" after "is"', 14],
    ["name not = 'x'", 'expected "like", "ilike" or "in" after "not"', 10],
    ["status = running", 'expected a value after "=" but found "running" (put text in quotes: "running")', 10],
    ["metrics. > 1", 'expected a key after "metrics."', 9],
    ["metrics.`` > 1", "a key must not be empty", 9],
    ["metrics.`a$b` > 1", 'key "a$b" may contain only letters, digits, spaces and _ - . / :', 9],
    [`metrics.${"k".repeat(251)} > 1`, "a key must be at most 250 characters (this one has 251)", 9],
    ["metrics.a = .5", "a number must start with a digit (write 0.5, not .5)", 13],
    ["metrics.a = 1.", 'expected a digit after "." in number', 15],
    ["metrics.a = 1e", "expected a digit in the number's exponent", 15],
    ["metrics.a = 1.2.3", 'invalid number "1.2.3"', 13],
    ["metrics.a = 1e999", "number 1e999 is out of range", 13],
    ["metrics.a = 1 && metrics.b = 2", 'unexpected "&" (use "and" / "or")', 15],
    ["!metrics.a", 'unexpected "!" (use != or "not")', 1],
    ["metrics.a = 1\u0007", "unexpected character U+0007", 14],
    ["metrics.a = 1 ☃", 'unexpected character "☃"', 15],
    // meaning errors
    ['name like 5', '"like" needs a string pattern in quotes, such as "%loss%" (got 5)', 11],
    ["params.lr > true", '">" needs a number or a string (got true)', 13],
    ["params.lr <= null", '"<=" needs a number or a string (got null)', 14],
    ["metrics.loss = null", 'use "is null" instead of "= null"', 16],
    ["tags.x <> NULL", 'use "is not null" instead of "!= null"', 11],
    ["tags.team in ()", 'an "in" list needs at least one value', 15],
    ["tags.team in ('a', null)", 'null is not allowed in an "in" list (use "is null")', 20],
    ["tags.team in 'a'", 'expected "(" after "in", as in status in ("failed", "crashed")', 14],
    ["tags.team in ('a' 'b')", 'expected "," or ")" in the "in" list but found "\'b\'"', 19],
    ["tags.team in ('a',", 'expected a value after ","', 19],
    ["tags.team in ('a'", 'missing ")" to close the "in" list at column 14', 18],
    ['metrics.loss = "low"', 'metrics compare only against numbers (or "NaN", "Infinity", "-Infinity"), not "low"', 16],
    ["metrics.loss in (1, true)", 'metrics compare only against numbers (or "NaN", "Infinity", "-Infinity"), not true', 21],
    ['metrics.loss like "1%"', '"like" cannot be used with metrics (their values are numbers)', 14],
    ['status > "failed"', 'status can only be compared with =, != or in (not ">")', 8],
    ['status not like "f%"', 'status can only be compared with =, != or in (not "not like")', 8],
    ['status = "done"', 'status must be one of running, finished, failed, killed, crashed (got "done")', 10],
    ['status not in ("failed", 3)', "status must be one of running, finished, failed, killed, crashed (got 3)", 26],
    ['created > "last week"', 'created compares against a date such as "2024-05-01" or "2024-05-01T12:00:00Z", or epoch milliseconds (got "last week")', 11],
    ['ended ilike "2024%"', '"ilike" cannot be used with ended (a date: use <, <=, >, >=, = or !=)', 7],
    ["name = 5", 'name compares only against strings, not 5 (put it in quotes: "5")', 8],
    ["parent = true", "parent compares only against strings, not true", 10],
  ];
  it.each(cases)("%s", (input, message, column) => {
    expect(errorOf(input)).toEqual([message, column]);
  });

  it("rejects input over 10,000 characters at column 1", () => {
    expect(parseFilter(`${" ".repeat(9_987)}metrics.a = 1`)).not.toBeNull();
    expect(errorOf(`${" ".repeat(9_988)}metrics.a = 1`)).toEqual([
      "the filter is too long (10001 characters; at most 10000)",
      1,
    ]);
  });
});

describe("parseOrderBy", () => {
  it.each([
    ["metrics.loss asc", { field: metric("loss"), direction: "asc" }],
    ["params.lr desc", { field: param("lr"), direction: "desc" }],
    ["created", { field: { kind: "attribute", name: "created" }, direction: "asc" }],
    ["name DESC", { field: { kind: "attribute", name: "name" }, direction: "desc" }],
    ["  metrics.`val loss`  Asc ", { field: metric("val loss"), direction: "asc" }],
  ])("%s", (input, expected) => {
    expect(parseOrderBy(input)).toEqual(expected);
  });

  it("returns null for empty input", () => {
    expect(parseOrderBy(" ")).toBeNull();
  });

  it.each<[string, string, number]>([
    ["metrics.loss asc, created desc", "only one sort key is supported (remove the comma and what follows it)", 17],
    ["metrics.loss, created", "only one sort key is supported (remove the comma and what follows it)", 13],
    ["created up", 'unexpected "up" (expected "asc", "desc" or the end of the sort order)', 9],
    ["created desc asc", 'unexpected "asc" (expected the end of the sort order)', 14],
    ["desc", 'expected a field to sort by (such as metrics.loss or created) but found "desc"', 1],
    ["loss desc", 'unknown field "loss" (use metrics.loss, params.loss, tags.loss or an attribute: id, name, status, created, started, ended, parent, notes)', 1],
  ])("%s fails", (input, message, column) => {
    expect(errorOf(input, parseOrderBy)).toEqual([message, column]);
  });
});

describe("formatField and formatFilter", () => {
  it("prints fields in source form", () => {
    expect(formatField(metric("loss"))).toBe("metrics.loss");
    expect(formatField(metric("val/loss"))).toBe("metrics.val/loss");
    expect(formatField(param("my key"))).toBe("params.`my key`");
    expect(formatField(tag("a.b:c-d"))).toBe("tags.a.b:c-d");
    expect(formatField({ kind: "attribute", name: "status" })).toBe("status");
    expect(() => formatField(tag("a`b"))).toThrow(RangeError);
  });

  it("prints canonical source with only the parentheses precedence needs", () => {
    const input = `NOT (Metric.a == 1 OR tags.\`b c\` <> 'x\\'y') AND (status IN ('Failed') AND attr.ended IS NOT NULL)`;
    expect(formatFilter(parseFilter(input) as FilterExpr)).toBe(
      `not (metrics.a = 1 or tags.\`b c\` != "x'y") and status in ("failed") and ended is not null`,
    );
    expect(formatFilter(parseFilter("(metrics.a = 1 or metrics.b = -0) and not not metrics.c > 1e21") as FilterExpr)).toBe(
      "(metrics.a = 1 or metrics.b = -0) and not not metrics.c > 1e+21",
    );
    expect(formatFilter(parseFilter('name = "a\\"\\\\\\n\\tb"') as FilterExpr)).toBe('name = "a\\"\\\\\\n\\tb"');
    expect(() => formatFilter({ type: "and", items: [] })).toThrow(RangeError);
  });
});
