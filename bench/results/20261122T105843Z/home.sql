SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a202e1-3056-72d3-8fc1-7d45241f953d,01a202e1-3056-72d3-8fc1-7d46f675a21d,01a202e1-3056-72d3-8fc1-7d47cfcdeb14}'::uuid[]) OR e.reporter_account_id = '01a202e1-3056-72d3-8fc1-7d95ebc1135c'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
