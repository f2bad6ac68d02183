import type { ReactNode } from "react";
import { projects } from "../api";
import type { Project } from "../api/types";
import { Layout } from "../components/Layout";
import { ManagerNav } from "../components/ManagerNav";
import type { ManagerTab } from "../manager/access";
import { useAsync } from "../useAsync";

/** The frame of every project screen past labeling: project name, the role's tabs, and the project loaded once. */
export function ManagerPage({
  projectId,
  tab,
  children,
}: {
  projectId: number;
  tab: ManagerTab | null;
  children: (project: Project) => ReactNode;
}) {
  const project = useAsync(() => projects.get(projectId), [projectId]);
  return (
    <Layout title={project.data ? project.data.name : `Project ${projectId}`}>
      <ManagerNav projectId={projectId} active={tab} />
      <main className="page">
        {project.error && (
          <p className="error" role="alert">
            {project.error}
          </p>
        )}
        {project.data ? children(project.data) : !project.error && <p>Loading…</p>}
      </main>
    </Layout>
  );
}
