// Drive the official Trigger.dev SDK (@trigger.dev/sdk 4.8.3) against a mock server.
//
// Usage:
//   node driver.mjs http://127.0.0.1:PORT [spec-json]
//   (or set TRIGGER_API_URL instead of the first argument)
// spec-json (optional, all fields optional):
//   {"task":"my-task","payloads":[{"a":1},{"b":2}],"pageSize":2,
//    "steps":["trigger","retrieve","results","runs"],"batchId":"batch_..."}
// Env:
//   TRIGGER_SECRET_KEY  access token sent as "Authorization: Bearer …" (default tr_dev_mocktest)
//   DRIVER_TIMEOUT_MS   per-HTTP-request timeout (default 5000); the SDK itself has none
//
// Prints ONE JSON object on stdout. Exit 0 on success, 1 on any SDK error
// (the JSON then has "error": {step, name, class, status, message, phase, cause}).
// Retries are disabled so a broken mock fails in milliseconds, not ~10-30 s.
import { configure, tasks, batch, runs } from "@trigger.dev/sdk";
import { apiClientManager } from "@trigger.dev/core/v3";

const baseURL = process.argv[2] ?? process.env.TRIGGER_API_URL;
if (!baseURL) {
  console.error("usage: node driver.mjs http://127.0.0.1:PORT [spec-json]");
  process.exit(2);
}
const spec = JSON.parse(process.argv[3] ?? "{}");
const task = spec.task ?? "my-task";
const payloads = spec.payloads ?? [{ a: 1 }, { b: "two" }];
const steps = spec.steps ?? ["trigger", "retrieve", "results", "runs"];
const accessToken = process.env.TRIGGER_SECRET_KEY ?? "tr_dev_mocktest";
const timeoutMs = Number(process.env.DRIVER_TIMEOUT_MS ?? 5000);

// The SDK's zodfetch has no request timeout (a hung server hangs the call), so add one.
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) =>
  realFetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });

// Global retry override applies to every zodfetch call (create batch, retrieve, results, runs.list).
configure({ baseURL, accessToken, requestOptions: { retry: { maxAttempts: 1 } } });
// The NDJSON items stream ignores the global retry config; it only honours per-call options.
const NO_RETRY = { retry: { maxAttempts: 1 } };

const out = { baseURL };
let step = "init";
try {
  let batchId = spec.batchId;
  if (steps.includes("trigger")) {
    step = "trigger";
    const handle = await tasks.batchTrigger(task, payloads.map((payload) => ({ payload })), undefined, NO_RETRY);
    out.trigger = handle; // {batchId, runCount, publicAccessToken}
    batchId = handle.batchId;
  }
  if (steps.includes("retrieve")) {
    step = "retrieve";
    out.retrieve = await batch.retrieve(batchId);
  }
  if (steps.includes("results")) {
    step = "results";
    out.results = await apiClientManager.clientOrThrow().getBatchResults(batchId);
  }
  if (steps.includes("runs")) {
    step = "runs";
    const firstPage = await runs.list({ batch: batchId, limit: spec.pageSize });
    const ids = [];
    let pages = 0;
    for await (const page of firstPage.iterPages()) {
      pages += 1;
      for (const run of page.data) ids.push(run.id);
      if (pages > 1000) throw new Error("runs.list: more than 1000 pages (cursor loop?)");
    }
    out.runs = { firstPage: firstPage.data, pagination: firstPage.pagination, allIds: ids, pages };
  }
  console.log(JSON.stringify(out));
} catch (e) {
  out.error = {
    step,
    name: e?.name,
    class: e?.constructor?.name,
    status: e?.status,
    message: e?.message,
    phase: e?.phase,
    cause: e?.cause ? { class: e.cause.constructor?.name, status: e.cause.status, message: e.cause.message } : undefined,
  };
  console.log(JSON.stringify(out));
  process.exitCode = 1;
}
