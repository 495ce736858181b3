/**
 * What the capture must never record: credentials in remote URLs and secret environment
 * variables. Pure functions (no I/O), property-tested.
 */

/** Names refused even when allowlisted (CAIRN_API_KEY included). */
export const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)/i;

/** Variables that change how a training script behaves, recorded by default (plus `CAIRN_*`). */
export const ENV_ALLOWLIST: readonly string[] = [
  "NODE_ENV",
  "CI",
  "TZ",
  "LANG",
  "LC_ALL",
  "CUDA_VISIBLE_DEVICES",
  "OMP_NUM_THREADS",
  "MKL_NUM_THREADS",
  "UV_THREADPOOL_SIZE",
  "NODE_OPTIONS",
  "TF_CPP_MIN_LOG_LEVEL",
];

const MAX_ENV_VALUE = 10_000;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * The allowlisted variables that are set: the defaults, every `CAIRN_*`, and `extra`.
 * Secret-looking names are refused whatever the list says; URL values lose their credentials.
 */
export function pickEnv(env: Readonly<Record<string, string | undefined>>, extra: readonly string[] = []): Record<string, string> {
  const wanted = new Set([...ENV_ALLOWLIST, ...extra]);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || isSecretName(name)) continue;
    if (!wanted.has(name) && !name.startsWith("CAIRN_")) continue;
    out[name] = stripUrlCredentials(value).slice(0, MAX_ENV_VALUE);
  }
  return out;
}

/**
 * Removes credentials from a git remote (or any URL):
 * - `scheme://user:password@host/…`: the password always goes; for http(s) and ftp the
 *   user name goes too (hosting services accept a token as the user name);
 * - scp-like `user:password@host:path`: the password goes;
 * - query string and fragment go (tokens are sometimes passed there).
 * Anything else (local paths, `git@host:org/repo.git`) is returned unchanged.
 */
export function stripUrlCredentials(url: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const rest = url.slice(scheme[0].length);
    const authorityEnd = rest.search(/[/?#]/);
    const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
    let tail = authorityEnd === -1 ? "" : rest.slice(authorityEnd);
    const q = tail.search(/[?#]/);
    if (q !== -1) tail = tail.slice(0, q);
    const at = authority.lastIndexOf("@");
    const host = at === -1 ? authority : authority.slice(at + 1);
    let user = "";
    if (at !== -1 && !/^(https?|ftps?)$/i.test(scheme[1]!)) {
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(":");
      user = `${colon === -1 ? userinfo : userinfo.slice(0, colon)}@`;
    }
    return `${scheme[0]}${user}${host}${tail}`;
  }
  // scp-like syntax: [user[:password]@]host:path. The last "@" before the first "/" ends the
  // user part, so a password containing "@" is still cut off whole.
  const slash = url.indexOf("/");
  const at = (slash === -1 ? url : url.slice(0, slash)).lastIndexOf("@");
  if (at === -1 || !/^[^:/]+:/.test(url.slice(at + 1))) return url;
  const userinfo = url.slice(0, at);
  const colon = userinfo.indexOf(":");
  if (colon !== -1) return `${userinfo.slice(0, colon)}@${url.slice(at + 1)}`;
  return url;
}
