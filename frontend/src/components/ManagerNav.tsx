import { Link } from "../router";

const TABS = [
  ["dashboard", "Dashboard"],
  ["scorecards", "Scorecards"],
  ["findings", "Findings"],
  ["review", "Review"],
  ["data", "Data"],
  ["alerts", "Alerts"],
  ["settings", "Settings"],
] as const;

export type ManagerTab = (typeof TABS)[number][0];

export function ManagerNav({ projectId, active }: { projectId: number; active: ManagerTab | null }) {
  return (
    <nav className="tabs" aria-label="Project management">
      {TABS.map(([tab, label]) => (
        <Link
          key={tab}
          href={`/projects/${projectId}/${tab}`}
          className={tab === active ? "tab active" : "tab"}
          aria-current={tab === active ? "page" : undefined}
          data-testid={`nav-${tab}`}
        >
          {label}
        </Link>
      ))}
    </nav>
  );
}
