// Linter findings as the editor uses them: which boxes to highlight, and whether submit is blocked.
import type { Finding, Severity } from "../api/types";

/** The worst severity per 0-based box index. */
export function highlightByBox(findings: Finding[]): Map<number, Severity> {
  const out = new Map<number, Severity>();
  for (const f of findings) {
    for (const index of f.boxes ?? []) {
      if (f.severity === "error" || !out.has(index)) out.set(index, f.severity);
    }
  }
  return out;
}

export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === "error");
}

/** "Box 1, 3" for a finding's 0-based indices, matching the box list (1-based). */
export function boxRefs(indices: number[]): string {
  if (!indices || indices.length === 0) return "";
  return `${indices.length === 1 ? "Box" : "Boxes"} ${indices.map((i) => i + 1).join(", ")}`;
}
