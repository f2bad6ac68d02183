import { projectRole, useAuth } from "../auth";
import { tabsFor, type ManagerTab } from "../manager/access";
import { Link } from "../router";

export type { ManagerTab } from "../manager/access";

/** The project's screens the signed-in user's role may open, as tabs; the page's own is marked. */
export function ManagerNav({ projectId, active }: { projectId: number; active: ManagerTab | null }) {
  const { me } = useAuth();
  const tabs = tabsFor(projectRole(me, projectId));
  if (tabs.length === 0) return null;
  return (
    <nav className="tabs" aria-label="Project management">
      {tabs.map(({ tab, label }) => (
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
