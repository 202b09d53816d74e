// Drive the official Trigger.dev SDK (@trigger.dev/sdk and @trigger.dev/core 4.8.3, pinned in
// package-lock.json) against a mockbatch server, the way an application uses it:
//
//   tasks.batchTrigger (two-phase: create, then NDJSON items)
//   -> batch.retrieve until the batch is terminal
//   -> getBatchResults (@trigger.dev/core/v3)
//   -> runs.list({ batch }), every page
//
// Usage: node driver.mjs http://127.0.0.1:PORT/trigger '<spec json>'
// spec (all optional): {"task", "payloads", "pageSize", "maxPolls",
//                       "idempotencyKey" (trigger twice with it), "missingBatch" (retrieve it)}
// Env: TRIGGER_SECRET_KEY (default tr_dev_mockbatch), DRIVER_TIMEOUT_MS (default 5000).
//
// Prints ONE JSON object on stdout and exits 0; on an SDK error the object has
// "error": {step, name, class, status, message, phase, cause} and the exit status is 1.
// Retries are off, so a broken mock fails in milliseconds instead of the SDK's ~10-25 s.
import { configure, tasks, batch, runs } from "@trigger.dev/sdk";
import { apiClientManager } from "@trigger.dev/core/v3";

const baseURL = process.argv[2];
if (!baseURL) {
  console.error("usage: node driver.mjs http://127.0.0.1:PORT[/trigger] [spec-json]");
  process.exit(2);
}
const spec = JSON.parse(process.argv[3] ?? "{}");
const task = spec.task ?? "my-task";
const payloads = spec.payloads ?? [{ a: 1 }, { b: "two" }];
const maxPolls = spec.maxPolls ?? 20;
const accessToken = process.env.TRIGGER_SECRET_KEY ?? "tr_dev_mockbatch";
const timeoutMs = Number(process.env.DRIVER_TIMEOUT_MS ?? 5000);
const TERMINAL = ["COMPLETED", "PARTIAL_FAILED", "ABORTED"];

// The SDK's fetch has no request timeout (a hung server hangs the call): add one.
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) =>
  realFetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });

// No retries for every zodfetch call (create, retrieve, results, runs.list) ...
configure({ baseURL, accessToken, requestOptions: { retry: { maxAttempts: 1 } } });
// ... and for the NDJSON items stream, which only honours per-call options.
const NO_RETRY = { retry: { maxAttempts: 1 } };

const out = { baseURL };
let step = "init";
try {
  step = "trigger";
  const options = spec.idempotencyKey ? { idempotencyKey: spec.idempotencyKey } : undefined;
  const items = payloads.map((payload) => ({ payload }));
  const handle = await tasks.batchTrigger(task, items, options, NO_RETRY);
  out.trigger = handle; // {batchId, runCount, publicAccessToken}

  step = "retrieve";
  out.polls = [];
  let retrieved;
  for (let i = 0; i < maxPolls; i += 1) {
    retrieved = await batch.retrieve(handle.batchId);
    out.polls.push({ status: retrieved.status, runs: retrieved.runs.length });
    if (TERMINAL.includes(retrieved.status)) break;
  }
  out.retrieve = {
    ...retrieved,
    createdAtIsDate: retrieved.createdAt instanceof Date,
    completedAtIsDate: retrieved.processing.completedAt instanceof Date,
  };

  step = "results";
  out.results = await apiClientManager.clientOrThrow().getBatchResults(handle.batchId);

  step = "runs";
  const firstPage = await runs.list({ batch: handle.batchId, limit: spec.pageSize });
  const pages = [];
  for await (const page of firstPage.iterPages()) {
    pages.push(page.data.map((run) => ({ id: run.id, status: run.status, isSuccess: run.isSuccess,
      isFailed: run.isFailed, taskIdentifier: run.taskIdentifier, createdAtIsDate: run.createdAt instanceof Date })));
    if (pages.length > 1000) throw new Error("runs.list: more than 1000 pages (cursor loop?)");
  }
  const each = [];
  for await (const run of runs.list({ batch: handle.batchId, limit: spec.pageSize })) each.push(run.id);
  out.runs = { pages, each, firstPagination: firstPage.pagination };

  if (spec.idempotencyKey) {
    step = "again";
    out.again = await tasks.batchTrigger(task, items, options, NO_RETRY);
  }
  if (spec.missingBatch) {
    step = "missing";
    try {
      await batch.retrieve(spec.missingBatch);
      out.missing = { found: true };
    } catch (e) {
      out.missing = { name: e?.name, class: e?.constructor?.name, status: e?.status, message: e?.message };
    }
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
