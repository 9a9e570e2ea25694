// A third-party client (urql) drives the README's flow against a server loaded with the demo
// data: a rider reports with a photo (GraphQL multipart request), the community accepts and
// dispatches, the unit's liaison starts and resolves, the community closes.
// Usage: node client-flow.mjs http://127.0.0.1:8080/graphql   (prints "flow ok" and exits 0)
import { Client, fetchExchange, gql } from '@urql/core';

const url = process.argv[2];
const password = 'Demo-grid-2026';

function client(token) {
  return new Client({
    url,
    exchanges: [fetchExchange],
    preferGetMethod: false,
    fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
}

async function run(c, doc, variables = {}, mutation = false) {
  const result = mutation ? await c.mutation(doc, variables).toPromise() : await c.query(doc, variables).toPromise();
  if (result.error) throw new Error(`${doc.loc?.source.body.slice(0, 60)}: ${result.error.message}`);
  return result.data;
}

async function login(phone) {
  const data = await run(
    client(),
    gql`mutation Login($p: String!, $w: String!) { login(phone: $p, password: $w) { accessToken } }`,
    { p: phone, w: password },
    true,
  );
  return client(data.login.accessToken);
}

const rider = await login('13800000006');
const worker = await login('13800000003');
const liaison = await login('13800000005');

const grids = await run(rider, gql`{ regions(first: 5, level: GRID, search: "凤凰第二网格") { edges { node { id name } } } }`);
const gridId = grids.regions.edges[0].node.id;

// A tiny PNG (8-byte signature + IHDR), enough for the server's content check.
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const photo = new File([png], 'scene.png', { type: 'image/png' });
const clientId = crypto.randomUUID();
const report = await run(
  rider,
  gql`mutation Report($i: ReportInput!) { reportEvent(input: $i) { id state photos { url } } }`,
  {
    i: {
      clientId,
      category: 'ILLEGAL_OCCUPATION',
      title: '新华路口货车占道卸货',
      description: '占用非机动车道',
      location: { lat: 22.7612, lng: 112.9605, address: '新华路与凤凰路口' },
      capturedAt: new Date().toISOString(),
      gridId,
      photos: [photo],
    },
  },
  true,
);
const id = report.reportEvent.id;
if (report.reportEvent.photos.length !== 1) throw new Error('the photo was not attached');

await run(worker, gql`mutation Accept($id: UUID!) { acceptEvent(id: $id) { state } }`, { id }, true);
const units = await run(worker, gql`{ memberUnits(first: 5, search: "滴滴") { edges { node { id name } } } }`);
const unitId = units.memberUnits.edges[0].node.id;
await run(
  worker,
  gql`mutation Dispatch($id: UUID!, $u: UUID!) { dispatchEvent(id: $id, unitId: $u, instructions: "请党员司机劝离") { state } }`,
  { id, u: unitId },
  true,
);
await run(liaison, gql`mutation Start($id: UUID!) { startEvent(id: $id) { state } }`, { id }, true);
await run(liaison, gql`mutation Resolve($id: UUID!) { resolveEvent(id: $id, result: "已劝离") { state } }`, { id }, true);
const closed = await run(
  worker,
  gql`mutation Close($id: UUID!) { closeEvent(id: $id, satisfaction: 5) { state timeline { action } } }`,
  { id },
  true,
);
if (closed.closeEvent.state !== 'CLOSED') throw new Error(`ended in ${closed.closeEvent.state}`);
console.log(`flow ok: ${closed.closeEvent.timeline.map((t) => t.action).join(' -> ')}`);
