import type { Artifact, ArtifactList, Run } from "@cairn/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { api, seg } from "../../api/client.js";
import { ArtifactPreview, artifactUrl } from "../../components/ArtifactPreview.js";
import { formatBytes, formatDateTime } from "../../components/format.js";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { Time } from "../../components/Time.js";

const PAGE = 500;

const baseName = (path: string) => {
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
};

/** `a/b/` → [["a/", "a"], ["a/b/", "b"]]: one breadcrumb per folder. */
function folderTrail(prefix: string): [string, string][] {
  const parts = prefix.split("/").filter(Boolean);
  return parts.map((p, i) => [`${parts.slice(0, i + 1).join("/")}/`, p]);
}

/**
 * The run's files one folder at a time (the listing's folders are common prefixes, with file
 * counts and sizes), the folder and open file in the URL, and a capped inline preview.
 */
export function ArtifactsTab({ run }: { run: Run }) {
  const [search, setSearch] = useSearchParams();
  const prefix = search.get("prefix") ?? "";
  const file = search.get("file");
  const listing = useInfiniteQuery({
    queryKey: ["artifacts", run.id, prefix],
    queryFn: ({ pageParam }) => api.get<ArtifactList>(`/runs/${seg(run.id)}/artifacts`, { prefix: prefix || undefined, limit: PAGE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  const go = (next: { prefix?: string; file?: string | null }) => {
    const params = new URLSearchParams(search);
    if (next.prefix !== undefined) {
      if (next.prefix) params.set("prefix", next.prefix);
      else params.delete("prefix");
    }
    if (next.file === null) params.delete("file");
    else if (next.file !== undefined) params.set("file", next.file);
    setSearch(params);
  };

  if (listing.error) return <ErrorState error={listing.error} retry={() => void listing.refetch()} />;
  const pages = listing.data?.pages ?? [];
  const folders = pages.flatMap((p) => p.folders);
  const files = pages.flatMap((p) => p.artifacts);
  const open: Pick<Artifact, "path"> & Partial<Artifact> | undefined = file ? (files.find((f) => f.path === file) ?? { path: file }) : undefined;

  if (!listing.isPending && prefix === "" && folders.length === 0 && files.length === 0) {
    return (
      <EmptyState title="No artifacts">
        <p>
          Upload files from your script with <code>await run.logArtifact("model.onnx", {"{ path: \"models/model.onnx\" }"})</code>, a folder with{" "}
          <code>run.logArtifacts("outputs/")</code>, or values with <code>run.logJSON("metrics.json", value)</code>.
        </p>
      </EmptyState>
    );
  }

  return (
    <div className="grid run-artifacts">
      <section className="card" aria-labelledby="run-artifacts-title">
        <h2 id="run-artifacts-title" className="visually-hidden">
          Files
        </h2>
        <nav className="breadcrumbs run-artifact-trail" aria-label="Folder">
          <button type="button" className="link" onClick={() => go({ prefix: "", file: null })} aria-current={prefix === "" ? "location" : undefined}>
            artifacts
          </button>
          {folderTrail(prefix).map(([p, name]) => (
            <span key={p}>
              {" / "}
              <button type="button" className="link" onClick={() => go({ prefix: p, file: null })} aria-current={p === prefix ? "location" : undefined}>
                {name}
              </button>
            </span>
          ))}
        </nav>
        {listing.isPending ? (
          <Loading rows={6} label="Loading files" />
        ) : folders.length === 0 && files.length === 0 ? (
          <p className="muted">This folder is empty.</p>
        ) : (
          <div className="run-scroll">
            <table className="data run-artifact-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col">Type</th>
                  <th scope="col">Added</th>
                  <th scope="col">
                    <span className="visually-hidden">Download</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {prefix !== "" && (
                  <tr>
                    <td colSpan={5}>
                      <button type="button" className="link" onClick={() => go({ prefix: folderTrail(prefix).at(-2)?.[0] ?? "", file: null })}>
                        ↑ Up
                      </button>
                    </td>
                  </tr>
                )}
                {folders.map((f) => (
                  <tr key={f.path}>
                    <td>
                      <button type="button" className="link" onClick={() => go({ prefix: f.path, file: null })} aria-label={`Open folder ${baseName(f.path)}`}>
                        <span aria-hidden="true">📁</span> {baseName(f.path)}/
                      </button>
                    </td>
                    <td className="num">{formatBytes(f.size)}</td>
                    <td className="muted small">
                      {f.count} file{f.count === 1 ? "" : "s"}
                    </td>
                    <td />
                    <td />
                  </tr>
                ))}
                {files.map((a) => (
                  <tr key={a.id} className={a.path === file ? "run-selected" : undefined}>
                    <td>
                      <button type="button" className="link" onClick={() => go({ file: a.path })} title={a.path} aria-current={a.path === file ? "true" : undefined}>
                        {baseName(a.path)}
                      </button>
                    </td>
                    <td className="num">{formatBytes(a.size)}</td>
                    <td className="muted small mono" title={a.mediaType}>
                      {a.mediaType.split(";")[0]}
                    </td>
                    <td className="small">
                      <Time iso={a.createdAt} />
                    </td>
                    <td>
                      <a href={artifactUrl(run.id, a.path)} download={baseName(a.path)} aria-label={`Download ${a.path}`}>
                        Download
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {listing.hasNextPage && (
          <button type="button" onClick={() => void listing.fetchNextPage()} disabled={listing.isFetchingNextPage}>
            {listing.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        )}
      </section>
      <section className="card run-preview" aria-labelledby="run-preview-title">
        {open ? (
          <>
            <div className="row run-card-head">
              <h2 id="run-preview-title" className="mono run-preview-title" title={open.path}>
                {open.path}
              </h2>
              <span className="spacer" />
              <a className="button" href={artifactUrl(run.id, open.path)} download={baseName(open.path)}>
                Download
              </a>
              <button type="button" onClick={() => go({ file: null })} aria-label="Close preview">
                ✕
              </button>
            </div>
            {open.sha256 && (
              <p className="muted small">
                {formatBytes(open.size ?? 0)} · <span className="mono">{open.mediaType}</span> · sha256 <span className="mono">{open.sha256.slice(0, 12)}…</span> ·{" "}
                {formatDateTime(open.createdAt)}
              </p>
            )}
            <ArtifactPreview runId={run.id} path={open.path} {...(open.mediaType ? { mediaType: open.mediaType } : {})} {...(open.size !== undefined ? { size: open.size } : {})} />
          </>
        ) : (
          <div className="state">
            <h2 id="run-preview-title">Preview</h2>
            <p>Choose a file to see it here: images, JSON, CSV and text are shown inline.</p>
          </div>
        )}
      </section>
    </div>
  );
}
