import type { Finding } from "../api/types";
import { boxRefs } from "../editor/findings";

export interface FindingsPanelProps {
  findings: Finding[];
  checking: boolean;
  error?: string | null;
  /** Called with the finding's 0-based box indices when a finding is chosen. */
  onShowBoxes?: (indices: number[]) => void;
}

/** The linter's findings on the current draft, errors first. */
export function FindingsPanel({ findings, checking, error, onShowBoxes }: FindingsPanelProps) {
  const sorted = [...findings].sort((a, b) => rank(a) - rank(b));
  return (
    <section
      className="panel findings-panel"
      aria-label="Checks"
      aria-live="polite"
      data-testid="findings-panel"
      data-checking={checking}
      data-count={findings.length}
    >
      <h2>
        Checks {checking && <span className="muted" data-testid="findings-checking">checking…</span>}
      </h2>
      {error && (
        <p className="error" data-testid="findings-error">
          Live check unavailable: {error}
        </p>
      )}
      {!error && sorted.length === 0 && !checking && (
        <p className="muted" data-testid="findings-empty">
          No problems found.
        </p>
      )}
      <ul>
        {sorted.map((f, i) => (
          <li
            key={`${f.code}-${i}`}
            className={`finding ${f.severity}`}
            data-testid="finding-item"
            data-code={f.code}
            data-severity={f.severity}
            data-boxes={(f.boxes ?? []).map((b) => b + 1).join(",")}
          >
            <span className="finding-severity">{f.severity === "error" ? "Error" : "Warning"}</span>
            <span className="finding-message">{f.message}</span>
            <span className="finding-code muted">{f.code}</span>
            {f.boxes && f.boxes.length > 0 && onShowBoxes && (
              <button type="button" className="link" onClick={() => onShowBoxes(f.boxes)}>
                {boxRefs(f.boxes)}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function rank(f: Finding): number {
  return f.severity === "error" ? 0 : 1;
}
