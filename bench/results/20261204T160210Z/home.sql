SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a2418b-359d-7466-94ce-e93146d93edd,01a2418b-359d-7466-94ce-e932e9662e46,01a2418b-359d-7466-94ce-e9333fe8ce7f}'::uuid[]) OR e.reporter_account_id = '01a2418b-359d-7466-94ce-e98126620bf8'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
