// Drive the official OpenAI Node SDK (openai 6.49.0, pinned in package-lock.json) against a
// mockbatch server, the way an application runs a batch:
//
//   files.create (purpose "batch", a JSONL upload)
//   -> batches.create
//   -> batches.retrieve until the batch is terminal
//   -> files.retrieve + files.content of the output and error files
//   -> batches.list, auto-paginated
//   -> batches.retrieve of an unknown batch (the SDK's error class)
//
// Usage: node driver.mjs http://127.0.0.1:PORT/openai/v1 '<spec json>'
// spec: {"jsonl": "<the input file's text>", "endpoint", "metadata", "pageSize", "maxPolls",
//        "missingBatch", "wait": {"clock": "<the mock's /__mockbatch/clock URL>", "seconds"}}
// With "wait", the driver waits between polls by moving the mock's clock that many seconds.
// Env: OPENAI_API_KEY (default sk-mockbatch), DRIVER_TIMEOUT_MS (default 5000).
//
// Prints ONE JSON object on stdout and exits 0; on an SDK error the object has
// "error": {step, name, class, status, message} and the exit status is 1.
// Retries are off, so a broken mock fails at once instead of after the SDK's backoff.
import OpenAI, { toFile } from "openai";

const baseURL = process.argv[2];
if (!baseURL) {
  console.error("usage: node driver.mjs http://127.0.0.1:PORT/openai/v1 [spec-json]");
  process.exit(2);
}
const spec = JSON.parse(process.argv[3] ?? "{}");
const endpoint = spec.endpoint ?? "/v1/chat/completions";
const maxPolls = spec.maxPolls ?? 20;
const TERMINAL = ["completed", "failed", "expired", "cancelled"];

const client = new OpenAI({
  apiKey: process.env.OPENAI_API_KEY ?? "sk-mockbatch",
  baseURL,
  maxRetries: 0,
  timeout: Number(process.env.DRIVER_TIMEOUT_MS ?? 5000),
});

const describe = (e) => ({ name: e?.name, class: e?.constructor?.name, status: e?.status,
  message: e?.message, code: e?.code, param: e?.param, type: e?.type });

async function download(fileId) {
  if (!fileId) return null;
  const file = await client.files.retrieve(fileId);
  const response = await client.files.content(fileId);
  const text = await response.text();
  return { file, contentType: response.headers.get("content-type"), text };
}

const out = { baseURL };
let step = "init";
try {
  step = "upload";
  const upload = await toFile(Buffer.from(spec.jsonl ?? "", "utf-8"), "input.jsonl");
  out.upload = await client.files.create({ file: upload, purpose: "batch" });

  step = "create";
  out.created = await client.batches.create({ input_file_id: out.upload.id, endpoint,
    completion_window: "24h", metadata: spec.metadata });

  step = "retrieve";
  out.polls = [];
  let batch = out.created;
  for (let i = 0; i < maxPolls && !TERMINAL.includes(batch.status); i += 1) {
    if (i > 0 && spec.wait) {
      const moved = await fetch(spec.wait.clock, { method: "POST",
        body: JSON.stringify({ advance: spec.wait.seconds }) });
      if (!moved.ok) throw new Error(`moving the clock: ${moved.status} ${await moved.text()}`);
    }
    batch = await client.batches.retrieve(out.created.id);
    out.polls.push({ status: batch.status, counts: batch.request_counts });
  }
  out.batch = batch;

  step = "output";
  out.output = await download(batch.output_file_id);
  step = "errors";
  out.errors = await download(batch.error_file_id);

  step = "list";
  out.listed = [];
  for await (const listed of client.batches.list({ limit: spec.pageSize ?? 1 })) {
    out.listed.push(listed.id);
    if (out.listed.length > 1000) throw new Error("batches.list: more than 1000 (cursor loop?)");
  }

  if (spec.missingBatch) {
    step = "missing";
    try {
      await client.batches.retrieve(spec.missingBatch);
      out.missing = { found: true };
    } catch (e) {
      out.missing = describe(e);
    }
  }
  console.log(JSON.stringify(out));
} catch (e) {
  out.error = { step, ...describe(e) };
  console.log(JSON.stringify(out));
  process.exitCode = 1;
}
