// Sorting of the scorecards table: one key per column; missing values always sort last.
import type { Scorecard } from "../api/types";

export type SortDirection = "asc" | "desc";

/** A column key: a fixed column, or "kind:<error kind>" for a per-error-kind accuracy. */
export type ScorecardSortKey =
  | "username"
  | "status"
  | "skill"
  | "benchmarks"
  | "lint_finding_rate"
  | "agreement"
  | "tasks_done"
  | "median_seconds"
  | `kind:${string}`;

/**
 * Below this many pieces of evidence (scored benchmarks plus regular answers), an annotator who is still
 * calibrating shows no skill figure: the estimate would be mostly the population prior.
 */
export const SKILL_MIN_EVIDENCE = 10;

/** What the skill column shows: nothing (no evidence at all), "calibrating" (too little), or the estimate. */
export type SkillView =
  | { kind: "none" }
  | { kind: "calibrating"; benchmarks: number; answers: number }
  | { kind: "estimate"; estimate: number; low: number; high: number; benchmarks: number; answers: number };

export function skillView(card: Scorecard): SkillView {
  const skill = card.skill;
  if (!skill || typeof skill.estimate !== "number") return { kind: "none" };
  const benchmarks = card.benchmarks.n;
  const answers = skill.peer_rows ?? 0;
  if (card.status === "calibrating" && benchmarks + answers < SKILL_MIN_EVIDENCE)
    return { kind: "calibrating", benchmarks, answers };
  return { kind: "estimate", estimate: skill.estimate, low: skill.low, high: skill.high, benchmarks, answers };
}

const STATUS_ORDER: Record<string, number> = { flagged: 0, calibrating: 1, ok: 2 };

export function sortValue(card: Scorecard, key: ScorecardSortKey): number | string | null {
  if (key.startsWith("kind:")) return card.by_error_kind[key.slice(5)]?.accuracy ?? null;
  switch (key) {
    case "username":
      return card.username.toLowerCase();
    case "status":
      return STATUS_ORDER[card.status] ?? 3;
    case "skill": {
      const view = skillView(card);
      return view.kind === "estimate" ? view.estimate : null;
    }
    case "benchmarks":
      return card.benchmarks.accuracy;
    case "lint_finding_rate":
      return card.lint_finding_rate;
    case "agreement":
      return card.agreement;
    case "tasks_done":
      return card.tasks_done;
    case "median_seconds":
      return card.median_seconds;
    default:
      return null;
  }
}

export function sortScorecards(cards: Scorecard[], key: ScorecardSortKey, direction: SortDirection): Scorecard[] {
  const sign = direction === "asc" ? 1 : -1;
  return [...cards].sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    if (va === null && vb === null) return a.username.localeCompare(b.username);
    if (va === null) return 1;
    if (vb === null) return -1;
    const cmp = typeof va === "string" || typeof vb === "string" ? String(va).localeCompare(String(vb)) : va - vb;
    return cmp !== 0 ? sign * cmp : a.username.localeCompare(b.username);
  });
}

/** The error kinds with at least one scored benchmark in any scorecard, in the server's order. */
export function errorKinds(cards: Scorecard[]): string[] {
  const kinds = new Set<string>();
  for (const card of cards) for (const kind of Object.keys(card.by_error_kind)) kinds.add(kind);
  return [...kinds].filter((kind) => cards.some((card) => (card.by_error_kind[kind]?.n ?? 0) > 0));
}

/** The direction a column starts in when first clicked: names ascending, numbers descending. */
export function defaultDirection(key: ScorecardSortKey): SortDirection {
  return key === "username" || key === "status" ? "asc" : "desc";
}
