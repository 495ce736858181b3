import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { FilterSyntaxError, parseFilter, parseOrderBy, formatField, formatFilter, formatLiteral, type FieldRef, type FilterExpr } from "./index.js";
import { exprArb, fieldArb, normalize, soupArb, termSoupArb } from "./arbitraries.testutil.js";

type Gen = fc.GeneratorValue;

/** Prints `expr` like formatFilter, but with random (equivalent) spellings, spacing and parentheses. */
function printVariant(g: Gen, expr: FilterExpr): string {
  const kw = (word: string): string => {
    const style = g(() => fc.integer({ min: 0, max: 2 }));
    return style === 0 ? word : style === 1 ? word.toUpperCase() : word[0]!.toUpperCase() + word.slice(1);
  };
  const sp = (): string => g(() => fc.constantFrom(" ", "  ", "\n", "\t "));
  const field = (f: FieldRef): string => {
    if (f.kind === "attribute") {
      const prefix = g(() => fc.constantFrom("", "attributes.", "attr.", "ATTR."));
      return prefix + kw(f.name);
    }
    const prefix = kw(g(() => fc.constantFrom(`${f.kind}s`, f.kind)));
    const plain = /^[A-Za-z0-9_./:-]+$/.test(f.key);
    return `${prefix}.${plain && g(() => fc.boolean()) ? f.key : `\`${f.key}\``}`;
  };
  const literal = (v: unknown): string => {
    if (v === null || typeof v === "boolean") return kw(String(v));
    if (typeof v === "number" && g(() => fc.boolean()) && !Object.is(v, -0)) return v.toExponential();
    if (typeof v === "string" && g(() => fc.boolean())) {
      return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\t/g, "\\t")}'`;
    }
    return formatLiteral(v as string | number);
  };
  const term = (e: FilterExpr): string => {
    switch (e.type) {
      case "compare": {
        let op: string = e.op;
        if (op === "=" && g(() => fc.boolean())) op = "==";
        else if (op === "!=" && g(() => fc.boolean())) op = "<>";
        else if (op.endsWith("like")) op = op.split(" ").map(kw).join(sp());
        const value = typeof e.value === "string" && e.field.kind === "attribute" && e.field.name === "status"
          ? literal(kw(e.value))
          : literal(e.value);
        return `${field(e.field)}${sp()}${op}${g(() => fc.constantFrom("", " "))}${value}`;
      }
      case "in":
        return `${field(e.field)}${sp()}${e.negated ? `${kw("not")}${sp()}` : ""}${kw("in")}${sp()}(${e.values
          .map(literal)
          .join(`,${sp()}`)})`;
      case "isNull":
        return `${field(e.field)}${sp()}${kw("is")}${sp()}${e.negated ? `${kw("not")}${sp()}` : ""}${kw("null")}`;
      default:
        throw new Error("not a term");
    }
  };
  const print = (e: FilterExpr, parent: number): string => {
    let text: string;
    let own = 3;
    if (e.type === "and" || e.type === "or") {
      own = e.type === "or" ? 1 : 2;
      text = e.items.map((item) => print(item, own)).join(`${sp()}${kw(e.type)}${sp()}`);
    } else if (e.type === "not") {
      text = `${kw("not")}${sp()}${print(e.expr, 3)}`;
    } else {
      text = term(e);
    }
    const needed = parent > own;
    return needed || g(() => fc.double({ min: 0, max: 1, noNaN: true })) < 0.1 ? `(${sp()}${text}${sp()})` : text;
  };
  return sp() + print(expr, 0) + sp();
}

const expectOnlySyntaxErrors = (input: string): void => {
  try {
    parseFilter(input);
  } catch (error) {
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const { position } = error as FilterSyntaxError;
    expect(Number.isInteger(position) && position >= 1 && position <= input.length + 1).toBe(true);
  }
};

describe("filter properties", () => {
  it("format → parse gives back the tree (modulo positions and flattening)", () => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        const parsed = parseFilter(formatFilter(expr));
        expect(parsed && normalize(parsed)).toEqual(normalize(expr));
      }),
      { numRuns: 500 },
    );
  });

  it("any equivalent spelling (case, ==, <>, quotes, spacing, parentheses) parses to the same tree", () => {
    fc.assert(
      fc.property(exprArb, fc.gen(), (expr, g) => {
        const source = printVariant(g, expr);
        const parsed = parseFilter(source);
        expect(parsed && normalize(parsed)).toEqual(normalize(expr));
      }),
      { numRuns: 500 },
    );
  });

  it("arbitrary strings throw nothing but FilterSyntaxError, with a column inside the input", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), expectOnlySyntaxErrors), { numRuns: 1000 });
    fc.assert(fc.property(soupArb, expectOnlySyntaxErrors), { numRuns: 3000 });
    fc.assert(fc.property(termSoupArb, expectOnlySyntaxErrors), { numRuns: 1000 });
    fc.assert(
      fc.property(soupArb, (input) => {
        try {
          parseOrderBy(input);
        } catch (error) {
          expect(error).toBeInstanceOf(FilterSyntaxError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("parse(format(parse(x))) equals parse(x), and formatting is idempotent", () => {
    const stable = (input: string): void => {
      let first: FilterExpr | null;
      try {
        first = parseFilter(input);
      } catch {
        return;
      }
      if (first === null) return;
      const text = formatFilter(first);
      const second = parseFilter(text);
      expect(second && normalize(second)).toEqual(normalize(first));
      expect(formatFilter(second!)).toBe(text);
    };
    fc.assert(fc.property(soupArb, stable), { numRuns: 1000 });
    fc.assert(fc.property(termSoupArb, stable), { numRuns: 3000 });
    fc.assert(fc.property(exprArb, fc.gen(), (expr, g) => stable(printVariant(g, expr))), { numRuns: 300 });
  });

  it("formatField output parses back as the same field", () => {
    fc.assert(
      fc.property(fieldArb, (field) => {
        expect(parseOrderBy(`${formatField(field)} desc`)).toEqual({ field, direction: "desc" });
      }),
    );
  });

  it("hostile inputs of the maximum length finish quickly", () => {
    const unit = (s: string): string => s.repeat(Math.ceil(10_000 / s.length)).slice(0, 10_000);
    const inputs = [
      unit("("),
      unit("not "),
      `${"metrics.a = 1 or ".repeat(580)}metrics.a = 1`, // parses: long chains are loops, not recursion
      `${"metrics.a = 1 and ".repeat(550)}metrics.a = 1`,
      `tags.a in (${"1, ".repeat(3300)}1)`,
      unit('"'),
      unit("`"),
      `metrics.${unit("a").slice(8)}`,
      unit("metrics.a"),
      unit(" "),
      unit("1e1"),
      unit("\\"),
      `name = "${"\\n".repeat(4990)}"`,
      unit("(not "),
    ];
    const started = performance.now();
    for (const input of inputs) {
      expect(input.length).toBeLessThanOrEqual(10_000);
      expectOnlySyntaxErrors(input);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
