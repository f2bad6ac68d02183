// Alerts, alert rules and webhooks of a project (managers).
import { useState } from "react";
import { projects } from "../api";
import type { Project } from "../api/types";
import { AlertsList } from "../components/alerts/AlertsList";
import { RulesPanel } from "../components/alerts/RulesPanel";
import { WebhooksPanel } from "../components/alerts/WebhooksPanel";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export function AlertsPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="alerts">
      {(project) => <AlertsScreen project={project} />}
    </ManagerPage>
  );
}

export function AlertsScreen({ project }: { project: Project }) {
  // Checking, toggling or deleting a rule changes the alerts and the rules' counts: both lists reload.
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  const members = useAsync(() => projects.members(project.id), [project.id]);
  return (
    <div className="alerts-page" data-testid="alerts-page">
      <h1>Alerting</h1>
      <AlertsList projectId={project.id} version={version} onChecked={changed} members={members.data ?? []} />
      <RulesPanel projectId={project.id} version={version} onChanged={changed} />
      <WebhooksPanel projectId={project.id} />
    </div>
  );
}
