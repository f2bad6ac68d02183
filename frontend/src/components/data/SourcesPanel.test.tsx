// @vitest-environment jsdom
// Bucket sources on the Data page: the list with each source's last sync, a sync and a full rescan started from
// here (the report says how many keys before the cursor the rescan found), a refused start, connecting a bucket.
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { BucketSource, Job, Page, Project, SourceSyncReport } from "../../api/types";
import { DataScreen } from "../../pages/DataPage";
import { fixtures } from "../../test/fixtures";
import { mockFetch, type Route } from "../../test/mockFetch";
import { managerMe, mlEngineerMe, renderAs, resetApiAroundEachTest } from "../../test/session";

const P = "/api/v1/projects/2";
const FAST = { jobPollMs: 5, listRefreshMs: 20 };
const page = <T,>(results: T[]): Page<T> => ({ count: results.length, next: null, previous: null, results });

const source: BucketSource = {
  id: 7,
  project_id: 2,
  name: "frames",
  endpoint_url: "http://minio:9000",
  region: "",
  bucket: "cams",
  prefix: "frames/",
  access_key_id: "reader",
  has_secret: true,
  pattern: "*.png",
  manifest: "",
  annotation_suffix: "",
  prediction_suffix: "",
  model_version: "",
  annotation_file: "",
  cursor: "frames/z.png",
  folder_cursors: {},
  last_sync_job_id: 40,
  created_at: "2026-12-07T10:00:00Z",
};

function report(extra: Partial<SourceSyncReport>): SourceSyncReport {
  return {
    source_id: 7,
    full: false,
    listed: 1,
    matched: 1,
    created: 1,
    behind_cursor: 0,
    updated: 0,
    already_synced: 0,
    gold: 0,
    predictions: 0,
    rejected: [],
    rejected_total: 0,
    cursor: "frames/zz.png",
    ...extra,
  };
}

function syncJob(id: number, result: SourceSyncReport, message = "done"): Job {
  return { id, kind: "source_sync", status: "succeeded", progress: 1, message, result };
}

function mockApi(extra: Record<string, Route> = {}) {
  return mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    [`GET ${P}/exports/`]: { status: 200, body: page([]) },
    [`GET ${P}/imports/`]: { status: 200, body: page([]) },
    [`GET ${P}/sources/`]: { status: 200, body: page([source]) },
    "GET /api/v1/jobs/40/": { status: 200, body: syncJob(40, report({})) },
    ...extra,
  });
}

function renderData(project: Project = fixtures.projectBbox(), me = managerMe) {
  return renderAs(me, <DataScreen project={project} timing={FAST} />);
}

resetApiAroundEachTest();

describe("bucket sources", () => {
  it("lists the sources with their cursor and last sync", async () => {
    mockApi();
    renderData();
    const row = await screen.findByTestId("source-row");
    expect(row.textContent).toContain("cams/frames/");
    expect(row.textContent).toContain("frames/z.png");
    await waitFor(() => expect(within(row).getByTestId("source-last-sync").textContent).toBe("sync: 1 new, 0 rejected"));
  });

  it("starts a full rescan and shows what it found before the cursor", async () => {
    const rescan = report({ full: true, listed: 4, created: 1, behind_cursor: 1, already_synced: 3 });
    const api = mockApi({
      "POST /api/v1/sources/7/sync/": { status: 202, body: { sync_id: 12, job_id: 41, full: true, scheduled: false } },
      "GET /api/v1/jobs/41/": {
        status: 200,
        body: syncJob(41, rescan, "Full rescan: 1 item(s) created from bucket cams (prefix frames/), 1 of them before the cursor."),
      },
    });
    renderData();
    fireEvent.click(await screen.findByRole("button", { name: "Full rescan of frames" }));
    const shown = await screen.findByTestId("source-sync-report");
    expect(api.callsTo("POST /api/v1/sources/7/sync/")[0].body).toEqual({ full: true });
    expect(shown.dataset.full).toBe("true");
    expect(within(shown).getByRole("heading").textContent).toBe("Full rescan of frames");
    expect(screen.getByTestId("source-report-created").textContent).toBe("1");
    expect(screen.getByTestId("source-report-behind").textContent).toBe("1");
    expect(screen.getByTestId("source-report-already").textContent).toBe("3");
    expect(screen.getByTestId("source-sync-job").textContent).toContain("1 of them before the cursor");
    await waitFor(() => expect(api.callsTo(`GET ${P}/sources/`).length).toBeGreaterThan(1)); // the list is read again
  });

  it("a plain sync asks for no rescan and lists what it rejected", async () => {
    const plain = report({ created: 0, rejected: [{ key: "frames/zz.png", reason: "not a PNG" }], rejected_total: 1 });
    const api = mockApi({
      "POST /api/v1/sources/7/sync/": { status: 202, body: { sync_id: 13, job_id: 42, full: false, scheduled: false } },
      "GET /api/v1/jobs/42/": { status: 200, body: syncJob(42, plain) },
    });
    renderData();
    fireEvent.click(await screen.findByRole("button", { name: "Sync frames" }));
    const shown = await screen.findByTestId("source-sync-report");
    expect(api.callsTo("POST /api/v1/sources/7/sync/")[0].body).toEqual({ full: false });
    expect(screen.queryByTestId("source-report-behind")).toBeNull();
    expect(within(shown).getByTestId("source-report-rejected-keys").textContent).toContain("frames/zz.png: not a PNG");
  });

  it("says why a sync could not start (one under way)", async () => {
    mockApi({
      "POST /api/v1/sources/7/sync/": {
        status: 409,
        body: { detail: "A sync of this source is under way (job 40).", job_id: 40 },
      },
    });
    renderData();
    fireEvent.click(await screen.findByRole("button", { name: "Full rescan of frames" }));
    expect((await screen.findByTestId("source-sync-error")).textContent).toContain("under way (job 40)");
    expect(screen.getByRole("button", { name: "Sync frames" })).toHaveProperty("disabled", false);
  });

  it("connects a bucket, showing the server's field errors", async () => {
    let created = false;
    const api = mockApi({
      [`GET ${P}/sources/`]: () => ({ status: 200, body: page(created ? [source] : []) }),
      [`POST ${P}/sources/`]: (call) => {
        const body = call.body as Record<string, string>;
        if (body.bucket === "A_B") {
          return { status: 400, body: { detail: "Invalid input.", errors: { bucket: ["An S3 bucket name."] } } };
        }
        created = true;
        return { status: 201, body: source };
      },
    });
    renderData();
    expect(await screen.findByTestId("sources-empty")).toBeTruthy();
    fireEvent.click(screen.getByTestId("source-add"));
    fireEvent.change(screen.getByTestId("source-name"), { target: { value: "frames" } });
    fireEvent.change(screen.getByTestId("source-bucket"), { target: { value: "A_B" } });
    fireEvent.click(screen.getByTestId("source-create"));
    expect((await screen.findByTestId("source-error-bucket")).textContent).toBe("An S3 bucket name.");
    expect(screen.getByTestId("source-bucket").getAttribute("aria-invalid")).toBe("true");
    fireEvent.change(screen.getByTestId("source-bucket"), { target: { value: "cams" } });
    fireEvent.change(screen.getByTestId("source-secret_access_key"), { target: { value: "s3cret" } });
    fireEvent.click(screen.getByTestId("source-create"));
    expect(await screen.findByTestId("source-row")).toBeTruthy();
    expect(api.callsTo(`POST ${P}/sources/`)[1].body).toEqual({ name: "frames", bucket: "cams", secret_access_key: "s3cret" });
    expect(screen.queryByTestId("source-form")).toBeNull();
  });

  it("is not shown to ML engineers (sources are for managers)", async () => {
    const api = mockApi();
    renderData({ ...fixtures.projectBbox(), role: "ml_engineer" }, mlEngineerMe);
    expect(await screen.findByTestId("data-page")).toBeTruthy();
    expect(screen.queryByTestId("sources-panel")).toBeNull();
    expect(api.callsTo(`GET ${P}/sources/`)).toHaveLength(0);
  });
});
