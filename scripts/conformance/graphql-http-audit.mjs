// Runs the graphql-http audit (GraphQL over HTTP spec) against a server and prints one line per
// result that is not "ok", then a JSON summary. Exit code 1 when any MUST or SHOULD fails.
// Usage: node graphql-http-audit.mjs http://127.0.0.1:8080/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
for (const r of results) {
  if (r.status !== 'ok') console.log(`${r.status} ${r.id} ${r.name} -> ${r.reason}`);
}
const count = (status) => results.filter((r) => r.status === status).length;
const summary = { ok: count('ok'), must_failed: count('error'), should_failed: count('warn'), notices: count('notice') };
console.log(JSON.stringify(summary));
process.exit(summary.must_failed + summary.should_failed > 0 ? 1 : 0);
