// Drives the official @anthropic-ai/sdk (pinned in package-lock.json) against a mockbatch
// server: node driver.mjs <baseURL> '<spec JSON>'. Prints one JSON object of what the SDK
// returned; exits 1 (with "error" in it) if the SDK threw where it should not have.
import Anthropic from "@anthropic-ai/sdk";

const [baseURL, specText] = process.argv.slice(2);
const spec = JSON.parse(specText);
const client = new Anthropic({ apiKey: spec.key, baseURL, maxRetries: 0 });
const batches = client.messages.batches;
const out = {};

function summary(batch) {
  return {
    id: batch.id,
    type: batch.type,
    status: batch.processing_status,
    counts: batch.request_counts,
    resultsUrl: batch.results_url,
    endedAt: batch.ended_at,
    cancelInitiatedAt: batch.cancel_initiated_at,
  };
}

try {
  const created = await batches.create({ requests: spec.requests });
  out.created = summary(created);
  out.polls = [];
  let batch = created;
  for (let i = 0; i < 10 && batch.processing_status !== "ended"; i++) {
    batch = await batches.retrieve(created.id);
    out.polls.push(batch.processing_status);
  }
  out.ended = summary(batch);
  out.results = [];
  for await (const line of await batches.results(created.id)) {
    out.results.push(line);
  }

  const running = await batches.create({ requests: spec.requests });
  out.canceling = summary(await batches.cancel(running.id));
  out.canceled = summary(await batches.retrieve(running.id));
  out.canceledResults = [];
  for await (const line of await batches.results(running.id)) {
    out.canceledResults.push(line.result.type);
  }

  try {
    await batches.retrieve(spec.missingBatch);
    out.missing = "no error";
  } catch (error) {
    out.missing = {
      class: error.constructor.name,
      status: error.status,
      type: error.error?.error?.type,
      isNotFound: error instanceof Anthropic.NotFoundError,
    };
  }
  console.log(JSON.stringify(out));
} catch (error) {
  out.error = String(error?.stack ?? error);
  console.log(JSON.stringify(out));
  process.exit(1);
}
