import { useMemo } from "react";
import { renderMarkdown } from "./markdown";

/** The project's instructions (Markdown, rendered safely). */
export function InstructionsPanel({ markdown, onClose }: { markdown: string; onClose: () => void }) {
  const html = useMemo(() => renderMarkdown(markdown), [markdown]);
  return (
    <section className="panel instructions-panel" aria-label="Instructions" data-testid="instructions-panel">
      <h2>Instructions</h2>
      {markdown.trim() ? (
        // renderMarkdown escapes raw HTML: only Markdown's own elements come out.
        <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />
      ) : (
        <p className="muted">This project has no instructions.</p>
      )}
      <button type="button" onClick={onClose} data-testid="instructions-close" title="Hide the instructions">
        Close
      </button>
    </section>
  );
}
