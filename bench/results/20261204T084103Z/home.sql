SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a23fcc-31ee-762a-914f-9c17ff421e49,01a23fcc-31ee-762a-914f-9c18885f8376,01a23fcc-31ee-762a-914f-9c1984be692a}'::uuid[]) OR e.reporter_account_id = '01a23fcc-31ee-762a-914f-9c678312e55e'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
