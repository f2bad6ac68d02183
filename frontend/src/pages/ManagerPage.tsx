import type { ReactNode } from "react";
import { projects } from "../api";
import type { Project } from "../api/types";
import { Layout } from "../components/Layout";
import { ManagerNav, type ManagerTab } from "../components/ManagerNav";
import { useAsync } from "../useAsync";

/** The frame of every manager screen: project name, tabs, and the project loaded once for the page. */
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
