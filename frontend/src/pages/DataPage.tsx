// Data in and out: export snapshots (with their manifest) and imports of files (with their report), for the
// project's managers and ML engineers; bucket sources and their syncs, for managers.
import type { Project } from "../api/types";
import { useAuth } from "../auth";
import { ExportsPanel } from "../components/data/ExportsPanel";
import { ImportsPanel } from "../components/data/ImportsPanel";
import { SourcesPanel } from "../components/data/SourcesPanel";
import { TIMING, type Timing } from "../components/data/useJobs";
import { ManagerPage } from "./ManagerPage";

export type { Timing } from "../components/data/useJobs";

export function DataPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="data">
      {(project) => <DataScreen project={project} />}
    </ManagerPage>
  );
}

export function DataScreen({ project, timing = TIMING }: { project: Project; timing?: Timing }) {
  const { me } = useAuth();
  const manages = (project.role ?? (me.is_staff ? "manager" : null)) === "manager"; // bucket sources: managers only
  return (
    <div className="data-page" data-testid="data-page">
      <h1>Data in and out</h1>
      <ExportsPanel project={project} timing={timing} />
      <ImportsPanel project={project} timing={timing} />
      {manages && <SourcesPanel project={project} timing={timing} />}
    </div>
  );
}
