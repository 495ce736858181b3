import { useQuery } from "@tanstack/react-query";
import { type CSSProperties, useState } from "react";
import { apiUrl, fetchText, seg } from "../api/client.js";
import { formatBytes } from "./format.js";

/**
 * Styles inline (theme variables only), so the preview looks the same on any page that
 * reuses it without a stylesheet of its own.
 */
const styles = {
  tableScroll: { overflow: "auto", maxHeight: 480, border: "1px solid var(--border)", borderRadius: 6 },
  skeleton: { height: 240 },
  text: {
    margin: 0,
    maxHeight: 480,
    overflow: "auto",
    padding: "var(--space-3)",
    background: "var(--surface-2)",
    border: "1px solid var(--border)",
    borderRadius: 6,
    fontFamily: "var(--mono)",
    fontSize: "0.85rem",
    whiteSpace: "pre-wrap",
    overflowWrap: "anywhere",
  },
  image: { display: "block", maxWidth: "100%", maxHeight: 480, background: "var(--surface-2)", border: "1px solid var(--border)", borderRadius: 6 },
} satisfies Record<string, CSSProperties>;

/** Text previews stop here (a Range request): a 2 GB log never lands in the DOM. */
export const PREVIEW_BYTES = 256 * 1024;
/** Rows of a CSV preview: enough to see the shape of the data, few enough to render at once. */
export const CSV_PREVIEW_ROWS = 100;

export type PreviewKind = "image" | "json" | "csv" | "tsv" | "text" | "none";

const TEXT_EXTENSIONS = new Set([
  "txt", "log", "md", "markdown", "rst", "yaml", "yml", "toml", "ini", "cfg", "conf", "env", "py", "js", "mjs", "cjs", "ts", "tsx", "jsx",
  "sh", "bash", "r", "sql", "diff", "patch", "html", "htm", "xml", "css", "properties", "gitignore", "dockerfile", "jsonl", "ndjson", "ipynb",
]);
const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "avif", "ico"]);

/** What kind of preview a file gets, from its media type and, for generic types, its extension. */
export function previewKind(path: string, mediaType: string | undefined): PreviewKind {
  const type = (mediaType ?? "").split(";")[0]!.trim().toLowerCase();
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  const ext = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : name;
  if (type.startsWith("image/") || IMAGE_EXTENSIONS.has(ext)) return "image";
  if (type === "application/json" || type.endsWith("+json") || ext === "json") return "json";
  if (type === "text/csv" || ext === "csv") return "csv";
  if (type === "text/tab-separated-values" || ext === "tsv") return "tsv";
  if (type.startsWith("text/") || TEXT_EXTENSIONS.has(ext) || type === "application/x-ndjson" || type === "application/yaml" || type === "application/xml") return "text";
  return "none";
}

/**
 * RFC 4180 CSV: quoted fields with `""` escapes and embedded delimiters or newlines, CRLF or
 * LF line ends. Stops after `maxRows`; `complete` says whether the whole text was read.
 * `dropPartialLastRow` drops the last row when the text was cut mid-file (a Range preview).
 */
export function parseCsv(text: string, opts: { delimiter?: string; maxRows?: number; dropPartialLastRow?: boolean } = {}): { rows: string[][]; complete: boolean } {
  const delimiter = opts.delimiter ?? ",";
  const maxRows = opts.maxRows ?? Number.POSITIVE_INFINITY;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte-order mark is not part of the first header
  let rowEnded = true;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    rowEnded = false;
    if (c === '"' && field === "") {
      quoted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      row.push(field);
      field = "";
      rows.push(row);
      row = [];
      rowEnded = true;
      if (c === "\r" && text[i + 1] === "\n") i++;
      if (rows.length >= maxRows) return { rows, complete: i + 1 >= text.length };
    } else field += c;
    i++;
  }
  if (!rowEnded || quoted) {
    row.push(field);
    if (!opts.dropPartialLastRow) rows.push(row);
  }
  return { rows, complete: true };
}

/** The API URL of a run's artifact: each path segment encoded, `/` kept between them. */
export function artifactUrl(runId: string, path: string, query?: { inline?: boolean }): string {
  return apiUrl(`/runs/${seg(runId)}/artifacts/${path.split("/").map(seg).join("/")}`, query?.inline ? { inline: "true" } : undefined);
}

function artifactApiPath(runId: string, path: string): string {
  return `/runs/${seg(runId)}/artifacts/${path.split("/").map(seg).join("/")}`;
}

function TruncatedNote({ size, shown }: { size: number | undefined; shown: number }) {
  return (
    <p className="muted small">
      Showing the first {formatBytes(shown)}
      {size !== undefined ? ` of ${formatBytes(size)}` : ""}: download the file for the rest.
    </p>
  );
}

function CsvTable({ text, delimiter, truncated, size }: { text: string; delimiter: string; truncated: boolean; size: number | undefined }) {
  // A capped body ends mid-row: the last line is dropped unless the file was read whole.
  const { rows, complete } = parseCsv(text, { delimiter, maxRows: CSV_PREVIEW_ROWS + 1, dropPartialLastRow: truncated });
  const [header, ...body] = rows;
  if (!header) return <p className="muted small">The file is empty.</p>;
  const shown = body.slice(0, CSV_PREVIEW_ROWS);
  const more = body.length > CSV_PREVIEW_ROWS || !complete || truncated;
  return (
    <div>
      <div style={styles.tableScroll}>
        <table className="data">
          <thead>
            <tr>
              {header.map((h, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional (headers may repeat)
                <th key={i} scope="col" title={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
              <tr key={i}>
                {header.map((_, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                  <td key={j} title={r[j]}>
                    {r[j] ?? ""}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        {shown.length} row{shown.length === 1 ? "" : "s"} × {header.length} column{header.length === 1 ? "" : "s"}
        {more ? ` shown (the first ${CSV_PREVIEW_ROWS}; download for the rest)` : ""}
        {size !== undefined ? ` · ${formatBytes(size)}` : ""}
      </p>
    </div>
  );
}

function TextPreview({ runId, path, kind, size }: { runId: string; path: string; kind: "json" | "csv" | "tsv" | "text"; size: number | undefined }) {
  const body = useQuery({
    queryKey: ["artifact-text", runId, path],
    queryFn: () => fetchText(artifactApiPath(runId, path), PREVIEW_BYTES),
    staleTime: 60_000,
  });
  if (body.error) return <p className="alert bad">The preview could not be loaded: {(body.error as Error).message}</p>;
  if (!body.data) return <div className="skeleton" style={styles.skeleton} role="status" aria-label="Loading preview" />;
  const { text, truncated } = body.data;
  if (kind === "csv" || kind === "tsv") return <CsvTable text={text} delimiter={kind === "tsv" ? "\t" : ","} truncated={truncated} size={size} />;
  let shown = text;
  let note: string | undefined;
  if (kind === "json" && !truncated) {
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      note = `Not valid JSON (${(e as Error).message}); shown as text.`;
    }
  }
  return (
    <div>
      {note && <p className="alert warn small">{note}</p>}
      <pre style={styles.text}>
        {shown}
      </pre>
      {truncated && <TruncatedNote size={size} shown={PREVIEW_BYTES} />}
    </div>
  );
}

function ImagePreview({ runId, path }: { runId: string; path: string }) {
  const [failed, setFailed] = useState(false);
  if (failed) return <p className="alert warn">This image could not be displayed by the browser. Download it to view it.</p>;
  // Same-origin URL: allowed by the UI's `img-src 'self'`, and CORP same-origin lets it load.
  return <img style={styles.image} src={artifactUrl(runId, path, { inline: true })} alt={path} onError={() => setFailed(true)} />;
}

/** An inline preview of one artifact: image, pretty JSON, CSV as a table, or text — all capped in size. */
export function ArtifactPreview({ runId, path, mediaType, size }: { runId: string; path: string; mediaType?: string; size?: number }) {
  const kind = previewKind(path, mediaType);
  if (kind === "image") return <ImagePreview key={path} runId={runId} path={path} />;
  if (kind === "none") {
    return (
      <p className="muted">
        No preview for {mediaType ? <code>{mediaType}</code> : "this type"}.{" "}
        <a href={artifactUrl(runId, path)} download>
          Download it
        </a>
        .
      </p>
    );
  }
  return <TextPreview runId={runId} path={path} kind={kind} size={size} />;
}
