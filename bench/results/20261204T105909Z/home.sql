SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a2405a-980d-71b5-9625-b8a0ce9ac236,01a2405a-980d-71b5-9625-b8a189b01e58,01a2405a-980d-71b5-9625-b8a2ffc8ed60}'::uuid[]) OR e.reporter_account_id = '01a2405a-980d-71b5-9625-b8f056c4ed1b'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
