SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a23e05-5cbc-75e4-bb0e-d4ac1d2624e8,01a23e05-5cbc-75e4-bb0e-d4ade3cc8d03,01a23e05-5cbc-75e4-bb0e-d4aef8178b5e}'::uuid[]) OR e.reporter_account_id = '01a23e05-5cbc-75e4-bb0e-d4fce08d636f'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
