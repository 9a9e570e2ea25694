SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a2033c-fc24-75e2-831c-7c6e1b983785,01a2033c-fc24-75e2-831c-7c6f74ffd0d7,01a2033c-fc24-75e2-831c-7c70527046ad}'::uuid[]) OR e.reporter_account_id = '01a2033c-fc24-75e2-831c-7cbe33e8d52c'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
