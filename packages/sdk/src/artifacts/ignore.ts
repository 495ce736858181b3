/** What `logArtifacts`/`upload` skip: globs (`*.tmp`, `cache/**`), regular expressions or a predicate on the relative path. */
export type IgnoreRule = string | RegExp;
export type IgnoreOption = IgnoreRule[] | ((relativePath: string) => boolean);

/**
 * A glob without `/` matches a file's name anywhere (`*.ckpt`); a glob with `/` matches the
 * whole relative path (`logs/**`). `*` stays within a segment, `**` crosses segments.
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const slash = glob[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Compiles the option into one predicate over `/`-separated relative paths. */
export function ignoreMatcher(opt: IgnoreOption | undefined): (rel: string) => boolean {
  if (opt === undefined) return () => false;
  if (typeof opt === "function") return opt;
  const tests = opt.map((rule) => {
    if (rule instanceof RegExp) return (rel: string) => rule.test(rel);
    const re = globToRegExp(rule.replace(/\/+$/, rule.endsWith("/") ? "/**" : ""));
    if (!rule.includes("/")) return (rel: string) => re.test(rel.slice(rel.lastIndexOf("/") + 1)) || rel.split("/").slice(0, -1).some((d) => re.test(d));
    return (rel: string) => re.test(rel);
  });
  return (rel) => tests.some((t) => t(rel));
}
