import { projects } from "../api";
import { hasProjectCounts, type Progress, type Project, type ProjectCounts } from "../api/types";
import { ErrorNote, Layout } from "../components/Layout";
import { canOpen, MANAGER_TABS } from "../manager/access";
import { useAuth } from "../auth";
import { Link, navigate } from "../router";
import { useAsync } from "../useAsync";

export function ProjectsPage() {
  const list = useAsync(() => projects.list(), []);
  return (
    <Layout title="My projects">
      <main className="page">
        <div className="page-head">
          <h1>My projects</h1>
          <Link href="/projects/new" className="button primary" data-testid="project-new"
            title="Set up a new labeling project: its kind, labels, instructions and settings">
            New project
          </Link>
          <StaffLinks />
        </div>
        <ErrorNote error={list.error} />
        {list.loading && !list.data && <p>Loading…</p>}
        {list.data && list.data.length === 0 && <p>You are not a member of any project yet.</p>}
        <ul className="project-list">
          {list.data?.map((p) => <ProjectCard key={p.id} project={p} />)}
        </ul>
      </main>
    </Layout>
  );
}

function StaffLinks() {
  const { me } = useAuth();
  if (!me.is_staff) return null;
  return (
    <Link href="/accounts" className="button" data-testid="open-accounts" title="Create accounts for new users">
      Accounts
    </Link>
  );
}

/** The screens a project's card links to, for the roles that may open them (`open-<tab>`). */
const CARD_LINKS = MANAGER_TABS.filter(
  (t) => t.tab === "dashboard" || t.tab === "scorecards" || t.tab === "data" || t.tab === "reviews",
);

function ProjectCard({ project }: { project: Project }) {
  const progress = useAsync(() => projects.progress(project.id), [project.id]);
  // The server sends the user's role in the project: a member's own, "manager" for staff who are not members.
  const canLabel = project.role === "annotator";
  return (
    <li className="card project-card" data-testid="project-card" data-project-id={project.id}>
      <div className="project-card-head">
        <h2>{project.name}</h2>
        <span className="badge">{project.kind === "bbox" ? "boxes" : "classification"}</span>
        {project.role && <span className="badge subtle">{project.role.replace("_", " ")}</span>}
      </div>
      <ProgressSummary progress={progress.data} error={progress.error} own={canLabel} />
      <div className="actions">
        {canLabel && (
          <button
            type="button"
            className="primary"
            data-testid="start-labeling"
            data-project-id={project.id}
            onClick={() => navigate(`/projects/${project.id}/label`)}
          >
            Start labeling
          </button>
        )}
        {canLabel && (
          <Link href={`/projects/${project.id}/rework`} className="button" data-testid="open-rework">
            Rework
          </Link>
        )}
        {CARD_LINKS.filter(({ tab }) => canOpen(project.role, tab)).map(({ tab, label }) => (
          <Link key={tab} href={`/projects/${project.id}/${tab}`} className="button" data-testid={`open-${tab}`}>
            {label}
          </Link>
        ))}
      </div>
    </li>
  );
}

/** Annotators see only their own counts (the server sends them nothing else); managers see the project's. */
function ProgressSummary({ progress, error, own }: { progress: Progress | null; error: string | null; own: boolean }) {
  if (error) return <p className="muted">Progress unavailable: {error}</p>;
  if (!progress) return <p className="muted">Loading progress…</p>;
  return (
    <div className="progress-summary" data-testid="project-progress">
      {own && (
        <p data-testid="my-progress">
          You: <strong>{progress.mine.submitted}</strong> submitted, {progress.mine.skipped} skipped
        </p>
      )}
      {hasProjectCounts(progress) && <ProjectMeter progress={progress} />}
    </div>
  );
}

function ProjectMeter({ progress }: { progress: ProjectCounts }) {
  const done = progress.required_annotations
    ? Math.min(1, progress.submitted_annotations / progress.required_annotations)
    : 0;
  return (
    <>
      <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(done * 100)}
        aria-label="Project progress">
        <div className="meter-fill" style={{ width: `${done * 100}%` }} />
      </div>
      <p className="muted">
        {progress.submitted_annotations} of {progress.required_annotations} annotations · {progress.remaining} remaining
      </p>
    </>
  );
}
