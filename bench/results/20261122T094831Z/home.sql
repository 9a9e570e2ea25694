SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a2029c-a894-7156-92f3-a3cdd5eb55de,01a2029c-a894-7156-92f3-a3ced618661e,01a2029c-a894-7156-92f3-a3cf3ac3fae7}'::uuid[]) OR e.reporter_account_id = '01a2029c-a894-7156-92f3-a41de1be3855'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
