import { useEffect, useId, useRef, useState } from "react";

/** How long typing pauses before the filter is sent: a search per keystroke would flood the server. */
export const FILTER_DEBOUNCE_MS = 400;

const EXAMPLE = 'metrics.accuracy > 0.9 and params.optimizer = "adam"';

/**
 * The API's filter language in a search box. The server parses it; a syntax error comes back
 * with its 1-based column, shown as a marker under that character of the text and the message.
 */
export function FilterBox({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (filter: string) => void;
  error: { message: string; position: number | undefined } | undefined;
}) {
  const [text, setText] = useState(value);
  const errorId = useId();
  const helpId = useId();
  const lastSent = useRef(value);

  // The address changed under us (back/forward, a shared link): show what it says.
  useEffect(() => {
    if (value !== lastSent.current) {
      lastSent.current = value;
      setText(value);
    }
  }, [value]);

  useEffect(() => {
    if (text === lastSent.current) return;
    const timer = setTimeout(() => {
      lastSent.current = text;
      onChange(text);
    }, FILTER_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, onChange]);

  // The error belongs to the text that was sent; once the user edits it, it may no longer apply.
  const errorShown = error && text === lastSent.current ? error : undefined;
  const pos = errorShown?.position !== undefined ? Math.max(1, Math.min(errorShown.position, text.length + 1)) : undefined;

  return (
    <div className="runs-filter">
      <label className="field">
        <span>Filter</span>
        <input
          type="search"
          className="mono"
          spellCheck={false}
          autoComplete="off"
          placeholder={EXAMPLE}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            // Enter sends at once instead of waiting for the pause.
            if (e.key === "Enter") {
              lastSent.current = text;
              onChange(text);
            }
          }}
          aria-invalid={errorShown ? true : undefined}
          aria-describedby={errorShown ? errorId : helpId}
        />
      </label>
      {errorShown ? (
        <div className="filter-error" id={errorId} role="alert">
          {pos !== undefined && (
            <pre className="filter-caret" aria-hidden="true" data-position={pos}>
              {text.slice(0, pos - 1)}
              <mark>{text.slice(pos - 1, pos) || " "}</mark>
              {text.slice(pos)}
              {"\n"}
              {" ".repeat(pos - 1)}^
            </pre>
          )}
          <span>
            {pos !== undefined ? `Column ${pos}: ` : ""}
            {errorShown.message.replace(/ \(at column \d+\)$/, "")}
          </span>
        </div>
      ) : (
        <div className="small muted" id={helpId}>
          e.g. <code>{EXAMPLE}</code>, <code>status in ("failed", "crashed")</code>, <code>name like "resnet-%"</code>
        </div>
      )}
    </div>
  );
}
