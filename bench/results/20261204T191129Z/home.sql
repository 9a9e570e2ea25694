SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a24224-84c7-719a-b7ed-f3d73304f34c,01a24224-84c7-719a-b7ed-f3d8339993d5,01a24224-84c7-719a-b7ed-f3d9e6eb9b04}'::uuid[]) OR e.reporter_account_id = '01a24224-84c7-719a-b7ed-f42724173eca'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
