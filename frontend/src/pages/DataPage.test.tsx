// @vitest-environment jsdom
// The Data page against responses captured from the real back end (frontend/scripts/capture_data_fixtures.py).
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { isExportManifest, type ExportManifest, type Job, type Me, type Page, type Project } from "../api/types";
import { fixtures } from "../test/fixtures";
import { mockFetch, type Route } from "../test/mockFetch";
import { managerMe, mlEngineerMe as mlMe, renderAs, resetApiAroundEachTest } from "../test/session";
import { AlertsPage } from "./AlertsPage";
import { DataPage, DataScreen } from "./DataPage";

const P = "/api/v1/projects/2";
const FAST = { jobPollMs: 5, listRefreshMs: 20 };
const empty = <T,>(): Page<T> => ({ count: 0, next: null, previous: null, results: [] });

function renderData(project: Project = fixtures.projectBbox(), me: Me = managerMe) {
  return renderAs(me, <DataScreen project={project} timing={FAST} />);
}

function mockDataApi(extra: Record<string, Route> = {}) {
  return mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    [`GET ${P}/exports/`]: { status: 200, body: fixtures.exports() },
    [`GET ${P}/imports/`]: { status: 200, body: fixtures.imports() },
    [`GET ${P}/sources/`]: { status: 200, body: empty() }, // bucket sources: SourcesPanel.test.tsx
    // Files on the server's disk (no object storage): no upload slots, the files go as multipart.
    [`POST ${P}/uploads/`]: { status: 409, body: { detail: "Direct uploads need object storage." } },
    ...extra,
  });
}

/** A job route that answers `running` (done 1 of total) until `finish()`, then the finished job. */
function jobRoute(finished: Job) {
  let done = false;
  const route: Route = () => ({
    status: 200,
    body: done ? finished : { ...finished, status: "running", progress: 1 / 3, done: 1, total: 3, result: {}, message: "" },
  });
  return { route, finish: () => (done = true) };
}

function optionValues(select: HTMLElement): string[] {
  return Array.from((select as HTMLSelectElement).options).map((o) => o.value);
}

function choose(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

function pick(testId: string, files: File[]) {
  fireEvent.change(screen.getByTestId(testId), { target: { files } });
}

resetApiAroundEachTest();

describe("DataPage exports", () => {
  it("lists exports newest first with counts, a short sha256 (full in the title) and the download link", async () => {
    mockDataApi();
    renderData();
    const rows = await screen.findAllByTestId("export-row");
    expect(rows.map((r) => r.dataset.exportId)).toEqual(["2", "1"]);
    const [coco] = fixtures.exports().results;
    const sha = within(rows[0]).getByTestId("export-sha");
    expect(sha.textContent).toBe(coco.sha256.slice(0, 12));
    expect(sha.getAttribute("title")).toBe(coco.sha256);
    expect(within(rows[0]).getByTestId("export-items").textContent).toBe(String(coco.counts!.items));
    expect(within(rows[0]).getByTestId("export-annotations").textContent).toBe(String(coco.counts!.annotations));
    expect(within(rows[0]).getByTestId("export-size").textContent).toBe(`${Math.round(coco.size_bytes / 1024)} KB`);
    expect(within(rows[0]).getByTestId("export-size").getAttribute("title")).toBe(`${coco.size_bytes} bytes`);
    expect(within(rows[0]).getByTestId("export-download").getAttribute("href")).toBe("/api/v1/exports/2/download/");
    expect(rows[0].textContent).toContain("with raw answers and gold items");
    expect(rows[1].textContent).toContain("final labels only");
  });

  it("offers COCO for a bbox project only", async () => {
    mockDataApi();
    const { unmount } = renderData();
    expect(optionValues(await screen.findByTestId("export-format"))).toEqual(["coco", "label_studio", "csv", "jsonl"]);
    expect(optionValues(screen.getByTestId("import-format"))).toContain("coco");
    unmount();
    renderData({ ...fixtures.projectBbox(), kind: "classification" });
    expect(optionValues(await screen.findByTestId("export-format"))).toEqual(["label_studio", "csv", "jsonl"]);
    expect(optionValues(screen.getByTestId("import-format"))).not.toContain("coco");
  });

  it("starts an export, shows the job's progress, refreshes the table and opens the manifest", async () => {
    const finished = fixtures.jobExport();
    const exportId = (finished.result as { export_id: number }).export_id;
    const job = jobRoute(finished);
    let started = false;
    const api = mockDataApi({
      [`GET ${P}/exports/`]: () => ({ status: 200, body: started ? fixtures.exports() : empty() }),
      [`POST ${P}/exports/`]: () => {
        started = true;
        return { status: 202, body: { ...fixtures.exportStart(), export_id: exportId, job_id: finished.id } };
      },
      [`GET /api/v1/jobs/${finished.id}/`]: job.route,
      [`GET /api/v1/exports/${exportId}/`]: { status: 200, body: fixtures.exportDetail() },
    });
    renderData();
    await screen.findByTestId("exports-empty");
    choose("export-format", "coco");
    fireEvent.click(screen.getByTestId("export-include-raw"));
    fireEvent.click(screen.getByTestId("export-start"));

    const line = await screen.findByTestId("export-job");
    await waitFor(() => expect(line.dataset.status).toBe("running"));
    expect(line.textContent).toBe(`Export #${exportId}: 33% (1 of 3)…`);
    expect(within(line).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("33");
    expect(screen.getByTestId("export-start")).toHaveProperty("disabled", true);
    expect(api.callsTo(`POST ${P}/exports/`)[0].body).toEqual({ format: "coco", include_raw: true, include_gold: false });

    job.finish();
    await waitFor(() => expect(screen.getByTestId("export-job").dataset.status).toBe("succeeded"));
    expect(screen.getByTestId("export-job").textContent).toBe(`Export #${exportId} finished: ${finished.message}`);
    expect(screen.getByTestId("export-start")).toHaveProperty("disabled", false);
    expect((await screen.findAllByTestId("export-row")).map((r) => r.dataset.exportId)).toEqual(["2", "1"]);
    const manifest = await screen.findByTestId("export-manifest");
    expect(manifest.dataset.exportId).toBe(String(exportId));
    expect((await within(manifest).findByTestId("manifest-sha256")).textContent).toBe(fixtures.exportDetail().sha256);
    expect(api.callsTo(`GET /api/v1/jobs/${finished.id}/`).length).toBeGreaterThanOrEqual(2);
  });

  it("shows a manifest without benchmark figures (what ML engineers get) without them", async () => {
    const detail = fixtures.exportDetail();
    if (!isExportManifest(detail.manifest)) throw new Error("the fixture has no manifest");
    const { benchmarks: _hidden, ...withoutBenchmarks } = detail.manifest;
    const body = { ...detail, manifest: withoutBenchmarks };
    mockDataApi({ [`GET /api/v1/exports/${detail.id}/`]: { status: 200, body } });
    renderData();
    const [row] = await screen.findAllByTestId("export-row");
    fireEvent.click(within(row).getByTestId("export-open"));
    const manifest = await screen.findByTestId("export-manifest");
    await within(manifest).findAllByTestId("manifest-annotator");
    expect(within(manifest).queryByTestId("manifest-benchmarks")).toBeNull();
    expect(within(manifest).queryAllByTestId("manifest-benchmark")).toHaveLength(0);
  });

  it("shows an export's manifest: annotators, agreement with its interval, benchmarks, gold set, priority, counts", async () => {
    const detail = fixtures.exportDetail();
    if (!isExportManifest(detail.manifest)) throw new Error("the fixture has no manifest");
    const m: ExportManifest = detail.manifest;
    mockDataApi({ [`GET /api/v1/exports/${detail.id}/`]: { status: 200, body: detail } });
    renderData();
    const [row] = await screen.findAllByTestId("export-row");
    fireEvent.click(within(row).getByTestId("export-open"));
    const manifest = await screen.findByTestId("export-manifest");
    const agreement = await within(manifest).findByTestId("manifest-agreement");
    const a = m.agreement!;
    expect(agreement.textContent).toContain(
      `alpha ${a.alpha!.toFixed(3)} (95% interval ${a.low!.toFixed(3)} to ${a.high!.toFixed(3)}) over ${a.n_items} items`,
    );
    const annotators = within(manifest).getAllByTestId("manifest-annotator");
    expect(annotators.map((r) => [r.querySelector("th")?.textContent, r.querySelector("td")?.textContent])).toEqual(
      m.annotators.map((x) => [x.username, String(x.items)]),
    );
    const benchmarks = within(manifest).getAllByTestId("manifest-benchmark");
    expect(benchmarks.map((r) => r.dataset.userId)).toEqual(m.benchmarks!.map((b) => String(b.annotator_id)));
    const b = m.benchmarks![2];
    const pct = (v: number) => `${Math.round(v * 100)}%`;
    expect(benchmarks[2].textContent).toContain(`${b.correct}/${b.n}`);
    expect(benchmarks[2].querySelector("svg")?.getAttribute("aria-label")).toBe(
      `${b.username} benchmark accuracy: ${pct(b.accuracy!)} (95% interval ${pct(b.low)} to ${pct(b.high)})`,
    );
    expect(within(manifest).getByTestId("manifest-gold").textContent).toBe(
      `${m.gold_set.count} gold items · sha256 ${m.gold_set.sha256.slice(0, 12)}`,
    );
    expect(within(manifest).getByTestId("manifest-priority").textContent).toContain(
      `model ${m.priority!.model_version}, strategy ${m.priority!.used_strategy} (asked for ${m.priority!.strategy})`,
    );
    for (const [status, n] of Object.entries(m.counts.by_status)) {
      expect(within(manifest).getByTestId(`manifest-status-${status}`).textContent).toBe(String(n));
    }
    expect(within(manifest).getByTestId("manifest-unresolved").textContent).toBe(String(m.counts.unresolved));
    expect(within(manifest).getByTestId("manifest-file").textContent).toBe(m.content.file_name);
    fireEvent.click(within(manifest).getByTestId("manifest-close"));
    expect(screen.queryByTestId("export-manifest")).toBeNull();
  });

  it("shows the server's 400 next to the format field", async () => {
    const api = mockDataApi({ [`POST ${P}/exports/`]: { status: 400, body: fixtures.exportCoco400() } });
    renderData();
    await screen.findAllByTestId("export-row");
    fireEvent.click(screen.getByTestId("export-start"));
    expect((await screen.findByTestId("export-error-format")).textContent).toBe(
      "coco is for bbox projects; use csv, jsonl or label_studio",
    );
    expect(screen.getByTestId("export-error").textContent).toBe("COCO detection export is for bbox projects.");
    expect(screen.getByTestId("export-format").getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("export-job")).toBeNull();
    expect(api.callsTo(`POST ${P}/exports/`)[0].body).toEqual({ format: "coco", include_raw: false, include_gold: false });
  });

  it("refreshes the table while an export is still running", async () => {
    const list = fixtures.exports();
    const running = { ...list, results: [{ ...list.results[0], status: "running" as const, download_url: null, sha256: "" }] };
    let calls = 0;
    mockDataApi({ [`GET ${P}/exports/`]: () => ({ status: 200, body: ++calls < 3 ? running : list }) });
    renderData();
    const row = await screen.findByTestId("export-row");
    expect(row.dataset.status).toBe("running");
    expect(within(row).queryByTestId("export-download")).toBeNull();
    await waitFor(() => expect(screen.getAllByTestId("export-row")[0].dataset.status).toBe("ready"));
    expect(within(screen.getAllByTestId("export-row")[0]).getByTestId("export-download")).toBeTruthy();
  });
});

describe("DataPage imports with object storage", () => {
  const slot = (name: string, size: number, token: string) => ({
    name,
    size,
    token,
    url: "http://bucket.test:9000/aqc-bucket",
    fields: { key: `ab/cd/${token}`, policy: "p0", "x-amz-signature": "s0" },
    expires_in: 3600,
  });

  it("sends the files straight to the bucket's presigned slots, then starts the import with their tokens", async () => {
    const start = fixtures.importStart();
    const archive = new File(["PK\u0003\u0004 zip"], "frames.zip", { type: "application/zip" });
    const api = mockDataApi({
      [`POST ${P}/uploads/`]: (call) => {
        expect(call.body).toEqual({ files: [{ name: "frames.zip", size: archive.size }] });
        return { status: 201, body: { uploads: [slot("frames.zip", archive.size, "tok-1")] } };
      },
      "POST /aqc-bucket": { status: 204 },
      [`POST ${P}/imports/`]: { status: 202, body: start },
      [`GET /api/v1/jobs/${start.job_id}/`]: jobRoute(fixtures.jobImportRejected()).route,
    });
    renderData();
    await screen.findAllByTestId("import-row");
    choose("import-format", "coco");
    pick("import-file", [archive]);
    fireEvent.click(screen.getByTestId("import-start"));

    await waitFor(() => expect(api.callsTo(`POST ${P}/imports/`)).toHaveLength(1));
    const [toBucket] = api.callsTo("POST /aqc-bucket");
    expect(toBucket.headers["X-CSRFToken"]).toBeUndefined(); // the bucket is another origin: no app token
    const form = toBucket.form!;
    expect([...form.keys()]).toEqual(["key", "policy", "x-amz-signature", "file"]); // the file comes last
    expect((form.get("file") as File).name).toBe("frames.zip");
    const calls = api.calls.map((c) => `${c.method} ${c.path}`);
    expect(calls.indexOf("POST /aqc-bucket")).toBeLessThan(calls.indexOf(`POST ${P}/imports/`));
    const [started] = api.callsTo(`POST ${P}/imports/`);
    expect(started.form).toBeNull(); // no bytes through the web app
    expect(started.body).toEqual({ format: "coco", as: "items", uploads: ["tok-1"] });
  });

  it("says so when the bucket refuses an upload (an expired slot) and starts no import", async () => {
    const api = mockDataApi({
      [`POST ${P}/uploads/`]: { status: 201, body: { uploads: [slot("a.json", 9, "tok-2")] } },
      "POST /aqc-bucket": { status: 403, body: {} },
    });
    renderData();
    await screen.findAllByTestId("import-row");
    choose("import-format", "coco");
    pick("import-file", [new File(['{"a": 1}'], "a.json", { type: "application/json" })]);
    fireEvent.click(screen.getByTestId("import-start"));

    const error = await screen.findByTestId("import-error");
    expect(error.textContent).toContain("The bucket refused a.json (403)");
    expect(error.textContent).toContain("start the import again");
    expect(api.callsTo(`POST ${P}/imports/`)).toHaveLength(0);
  });
});

describe("DataPage imports", () => {
  it("uploads a malformed COCO file as multipart, follows the job and shows the rejected rows", async () => {
    const start = fixtures.importStart();
    const finished = fixtures.jobImportRejected();
    expect(finished.id).toBe(start.job_id);
    const job = jobRoute(finished);
    let uploaded = false;
    const api = mockDataApi({
      [`GET ${P}/imports/`]: () => ({ status: 200, body: uploaded ? fixtures.imports() : empty() }),
      [`POST ${P}/imports/`]: () => {
        uploaded = true;
        return { status: 202, body: start };
      },
      [`GET /api/v1/jobs/${start.job_id}/`]: job.route,
    });
    renderData();
    await screen.findByTestId("imports-empty");
    choose("import-format", "coco");
    choose("import-as", "gold");
    pick("import-file", [new File(['{"images": [}'], "broken.json", { type: "application/json" })]);
    fireEvent.click(screen.getByTestId("import-start"));

    await waitFor(() => expect(screen.getByTestId("import-job").dataset.status).toBe("running"));
    expect(screen.getByTestId("import-job").textContent).toBe(`Import #${start.import_id}: 33% (1 of 3)…`);
    const [call] = api.callsTo(`POST ${P}/imports/`);
    expect(call.headers["X-CSRFToken"]).toBe("abc");
    expect(call.headers["Content-Type"]).toBeUndefined();
    const form = call.form!;
    expect([...form.keys()]).toEqual(["format", "as", "file"]);
    expect(form.get("format")).toBe("coco");
    expect(form.get("as")).toBe("gold");
    expect((form.get("file") as File).name).toBe("broken.json");

    job.finish();
    await waitFor(() => expect(screen.getByTestId("import-job").dataset.status).toBe("failed"));
    expect(screen.getByTestId("import-job").textContent).toBe(
      `Import #${start.import_id} failed: 3 problem(s) found; nothing was imported.`,
    );
    const report = await screen.findByTestId("import-report");
    expect(report.dataset.importId).toBe(String(start.import_id));
    expect(report.dataset.status).toBe("rejected");
    expect(within(report).getByTestId("import-rejected-total").textContent).toBe("3");
    const rows = within(report).getAllByTestId("import-rejected-row");
    expect(rows.map((r) => r.dataset.row)).toEqual(["images[1]", "annotations[2]", "annotations[1]"]);
    expect(rows[1].textContent).toBe("annotations[2]image_id 9 is not the id of any image");
    expect(within(report).getByTestId("import-note").textContent).toBe(
      "category 'hexagon' is not a project label and no annotation uses it: ignored",
    );
    const importRows = screen.getAllByTestId("import-row");
    expect(importRows.map((r) => [r.dataset.importId, r.dataset.status])).toEqual([
      ["2", "rejected"],
      ["1", "imported"],
    ]);
    expect(within(importRows[1]).getByTestId("import-result").textContent).toBe("2 created");
  });

  it("requires a model version for predictions before uploading, then shows the server's 400 on that field", async () => {
    const api = mockDataApi({ [`POST ${P}/imports/`]: { status: 400, body: fixtures.import400ModelVersion() } });
    renderData();
    await screen.findAllByTestId("import-row");
    choose("import-format", "jsonl");
    choose("import-as", "predictions");
    pick("import-file", [new File(["{}\n"], "preds.jsonl")]);
    fireEvent.click(screen.getByTestId("import-start"));
    expect((await screen.findByTestId("import-error-model_version")).textContent).toBe("required when importing predictions");
    expect(screen.getByTestId("import-model-version").getAttribute("aria-invalid")).toBe("true");
    expect(api.callsTo(`POST ${P}/imports/`)).toHaveLength(0);

    fireEvent.change(screen.getByTestId("import-model-version"), { target: { value: "det-v3" } });
    expect(screen.queryByTestId("import-error-model_version")).toBeNull();
    fireEvent.click(screen.getByTestId("import-start"));
    expect((await screen.findByTestId("import-error-model_version")).textContent).toBe("required when importing predictions");
    expect(screen.getByTestId("import-error").textContent).toBe("The import request is not usable; nothing was stored.");
    const form = api.callsTo(`POST ${P}/imports/`)[0].form!;
    expect(form.get("as")).toBe("predictions");
    expect(form.get("model_version")).toBe("det-v3");
    expect(screen.queryByTestId("import-job")).toBeNull();
  });

  it("offers gold to a manager but not to an ML engineer", async () => {
    mockDataApi();
    const { unmount } = renderData();
    expect(optionValues(await screen.findByTestId("import-as"))).toEqual(["items", "gold", "predictions"]);
    unmount();
    renderData({ ...fixtures.projectBbox(), role: "ml_engineer" }, mlMe);
    expect(optionValues(await screen.findByTestId("import-as"))).toEqual(["items", "predictions"]);
  });

  it("sends several images and names the one the server refused", async () => {
    const api = mockDataApi({ [`POST ${P}/imports/`]: { status: 400, body: fixtures.import400Images() } });
    renderData();
    await screen.findAllByTestId("import-row");
    choose("import-format", "images");
    fireEvent.click(screen.getByTestId("import-start"));
    expect((await screen.findByTestId("import-error-file")).textContent).toBe("choose images or a zip of images");
    pick("import-images", [new File(["png"], "ok.png", { type: "image/png" }), new File(["no"], "notes.png", { type: "image/png" })]);
    fireEvent.click(screen.getByTestId("import-start"));
    expect((await screen.findByTestId("import-error-images")).textContent).toBe(
      "images[1] notes.png: not a PNG, JPEG, WebP or GIF image (judged by its content)",
    );
    const form = api.callsTo(`POST ${P}/imports/`)[0].form!;
    expect([...form.keys()]).toEqual(["format", "as", "images", "images"]);
    expect(form.getAll("images").map((f) => (f as File).name)).toEqual(["ok.png", "notes.png"]);
  });

  it("shows a 413 on the file field, from the API or from a proxy's HTML page", async () => {
    let reply: { status: number; body: unknown } = { status: 413, body: fixtures.import413() };
    mockDataApi({ [`POST ${P}/imports/`]: () => reply });
    renderData();
    await screen.findAllByTestId("import-row");
    choose("import-format", "csv");
    pick("import-file", [new File(["external_id\n"], "big.csv")]);
    fireEvent.click(screen.getByTestId("import-start"));
    expect((await screen.findByTestId("import-error-file")).textContent).toBe("larger than 200 bytes");
    expect(screen.getByTestId("import-error").textContent).toBe(fixtures.import413().detail);

    reply = { status: 413, body: "<html><body>413 Request Entity Too Large</body></html>" };
    fireEvent.click(screen.getByTestId("import-start"));
    await waitFor(() => expect(screen.getByTestId("import-error").textContent).toBe("The upload is too large for the server."));
    expect(screen.getByTestId("import-error-file").textContent).toBe(
      "larger than the server accepts in one upload: split it into several imports",
    );
  });
});

describe("manager tabs", () => {
  it("shows the Data and Alerts tabs, marking the page's own", async () => {
    mockDataApi({
      [`GET ${P}/`]: { status: 200, body: fixtures.projectBbox() },
      [`GET ${P}/members/`]: { status: 200, body: fixtures.members() },
      [`GET ${P}/alerts/`]: { status: 200, body: fixtures.alertsAll() },
      [`GET ${P}/alert-rules/`]: { status: 200, body: fixtures.alertRules() },
      [`GET ${P}/alert-rules/kinds/`]: { status: 200, body: fixtures.alertRuleKinds() },
      [`GET ${P}/webhooks/`]: { status: 200, body: fixtures.webhooks() },
    });
    const { unmount } = renderAs(managerMe, <DataPage projectId={2} />);
    await screen.findByTestId("data-page");
    expect(screen.getByTestId("nav-data").getAttribute("aria-current")).toBe("page");
    expect(screen.getByTestId("nav-data").getAttribute("href")).toBe("/projects/2/data");
    expect(screen.getByTestId("nav-alerts").getAttribute("aria-current")).toBeNull();
    unmount();
    renderAs(managerMe, <AlertsPage projectId={2} />);
    await screen.findByTestId("alerts-page");
    expect(screen.getByTestId("nav-alerts").getAttribute("aria-current")).toBe("page");
    expect(screen.getByTestId("nav-alerts").getAttribute("href")).toBe("/projects/2/alerts");
  });
});
