// Pure logic of the alerts list: whom an alert is about, and what a check found.
import type { AlertCheckResult } from "../api/types";
import { plural } from "./format";

/** "annotator:5" -> "annotator3" (the member's username, or "annotator #5" when unknown); "project" stays. */
export function subjectText(subject: string, names: Map<number, string>): string {
  const m = /^annotator:(\d+)$/.exec(subject);
  if (!m) return subject;
  return names.get(Number(m[1])) ?? `annotator #${m[1]}`;
}

/** "Checked 3 rules: 1 fired, 0 resolved, 2 open, 1 could not be checked." */
export function checkSummary(result: AlertCheckResult): string {
  const failed = Object.keys(result.failed).length;
  return (
    `Checked ${plural(result.rules, "rule")}: ${result.fired.length} fired, ` +
    `${result.resolved} resolved, ${result.open} open` +
    (failed ? `, ${failed} could not be checked.` : ".")
  );
}
