// Responses captured from the real Django back end (the demo project after simulated work), trimmed: the
// component tests run against the shapes the server actually sends.
import type {
  AgreementOverview,
  Alert,
  BenchmarkRecord,
  FindingRate,
  FindingRecord,
  Member,
  Page,
  Progress,
  Project,
  QueuePage,
  ReviewItem,
  Scorecard,
} from "../api/types";
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
};
