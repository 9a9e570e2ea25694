SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a240f5-44c0-71ca-a697-e49e77667760,01a240f5-44c0-71ca-a697-e49f8b094e3a,01a240f5-44c0-71ca-a697-e4a0d0ded462}'::uuid[]) OR e.reporter_account_id = '01a240f5-44c0-71ca-a697-e4ee4cf3efa0'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
