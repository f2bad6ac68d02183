// Responses captured from the real Django back end (the demo project after simulated work), trimmed: the
// component tests run against the shapes the server actually sends.
import type {
  AgreementOverview,
  Alert,
  AlertCheckResult,
  AlertRule,
  AlertRuleKindSpec,
  BenchmarkRecord,
  ErrorBody,
  ExportDetail,
  ExportRecord,
  ExportStarted,
  ImportRecord,
  ImportStarted,
  Job,
  FindingRate,
  FindingRecord,
  Member,
  Page,
  Progress,
  Project,
  QueuePage,
  ReviewItem,
  Scorecard,
  Webhook,
  WebhookDelivery,
} from "../api/types";
import alertRule400 from "./fixtures/alert-rule-400.json";
import alertRule400Whole from "./fixtures/alert-rule-400-whole.json";
import alertRuleCreate from "./fixtures/alert-rule-create.json";
import alertRuleKinds from "./fixtures/alert-rule-kinds.json";
import alertRules from "./fixtures/alert-rules.json";
import alertsAll from "./fixtures/alerts-all.json";
import alertsCheck from "./fixtures/alerts-check.json";
import alertsCheckResolved from "./fixtures/alerts-check-resolved.json";
import exportCoco400 from "./fixtures/export-coco-400.json";
import exportDetail from "./fixtures/export-detail.json";
import exportStart from "./fixtures/export-start.json";
import exportsList from "./fixtures/exports.json";
import import400Images from "./fixtures/import-400-images.json";
import import400ModelVersion from "./fixtures/import-400-model-version.json";
import import403Gold from "./fixtures/import-403-gold.json";
import import413 from "./fixtures/import-413.json";
import importStart from "./fixtures/import-start.json";
import importsList from "./fixtures/imports.json";
import jobExport from "./fixtures/job-export.json";
import jobImport from "./fixtures/job-import.json";
import jobImportRejected from "./fixtures/job-import-rejected.json";
import webhook400Url from "./fixtures/webhook-400-url.json";
import webhookCreate from "./fixtures/webhook-create.json";
import webhookDeliveriesFailing from "./fixtures/webhook-deliveries-failing.json";
import webhookDeliveriesOk from "./fixtures/webhook-deliveries-ok.json";
import webhooks from "./fixtures/webhooks.json";
import agreementBbox from "./fixtures/agreement-bbox.json";
import agreementClassification from "./fixtures/agreement-classification.json";
import alerts from "./fixtures/alerts.json";
import benchmarks from "./fixtures/benchmarks.json";
import findingRates from "./fixtures/finding-rates.json";
import findingsPage from "./fixtures/findings-page.json";
import members from "./fixtures/members.json";
import progressAnnotator from "./fixtures/progress-annotator.json";
import progressManager from "./fixtures/progress-manager.json";
import projectBbox from "./fixtures/project-bbox.json";
import queue from "./fixtures/queue.json";
import reviewItems from "./fixtures/review-items-classification.json";
import scorecards from "./fixtures/scorecards-bbox.json";

const copy = <T,>(value: unknown): T => structuredClone(value) as T;

export const fixtures = {
  agreementBbox: () => copy<AgreementOverview>(agreementBbox),
  agreementClassification: () => copy<AgreementOverview>(agreementClassification),
  alerts: () => copy<Page<Alert>>(alerts),
  benchmarks: () => copy<BenchmarkRecord[]>(benchmarks),
  findingRates: () => copy<FindingRate[]>(findingRates),
  findingsPage: () => copy<Page<FindingRecord>>(findingsPage),
  members: () => copy<Member[]>(members),
  progressAnnotator: () => copy<Progress>(progressAnnotator),
  progressManager: () => copy<Progress>(progressManager),
  projectBbox: () => copy<Project>(projectBbox),
  queue: () => copy<QueuePage>(queue),
  reviewItems: () => copy<ReviewItem[]>(reviewItems),
  scorecards: () => copy<Scorecard[]>(scorecards),
  // Data in and out and alerting (frontend/scripts/capture_data_fixtures.py, the shapes project, id 2).
  exports: () => copy<Page<ExportRecord>>(exportsList),
  exportDetail: () => copy<ExportDetail>(exportDetail),
  exportStart: () => copy<ExportStarted>(exportStart),
  exportCoco400: () => copy<ErrorBody>(exportCoco400),
  jobExport: () => copy<Job>(jobExport),
  imports: () => copy<Page<ImportRecord>>(importsList),
  importStart: () => copy<ImportStarted>(importStart),
  import400ModelVersion: () => copy<ErrorBody>(import400ModelVersion),
  import403Gold: () => copy<ErrorBody>(import403Gold),
  import400Images: () => copy<ErrorBody>(import400Images),
  import413: () => copy<ErrorBody>(import413),
  jobImport: () => copy<Job>(jobImport),
  jobImportRejected: () => copy<Job>(jobImportRejected),
  alertsAll: () => copy<Page<Alert>>(alertsAll),
  alertsCheck: () => copy<AlertCheckResult>(alertsCheck),
  alertsCheckResolved: () => copy<AlertCheckResult>(alertsCheckResolved),
  alertRules: () => copy<AlertRule[]>(alertRules),
  alertRuleKinds: () => copy<AlertRuleKindSpec[]>(alertRuleKinds),
  alertRuleCreate: () => copy<AlertRule>(alertRuleCreate),
  alertRule400: () => copy<ErrorBody>(alertRule400),
  alertRule400Whole: () => copy<ErrorBody>(alertRule400Whole),
  webhooks: () => copy<Webhook[]>(webhooks),
  webhookCreate: () => copy<Webhook>(webhookCreate),
  webhook400Url: () => copy<ErrorBody>(webhook400Url),
  webhookDeliveriesOk: () => copy<Page<WebhookDelivery>>(webhookDeliveriesOk),
  webhookDeliveriesFailing: () => copy<Page<WebhookDelivery>>(webhookDeliveriesFailing),
};
