SELECT e.id, e.title, e.state, e.reported_at, a.name, u.name FROM event e
LEFT JOIN account a ON a.id = e.reporter_account_id LEFT JOIN member_unit u ON u.id = e.assigned_unit_id
WHERE e.grid_id IN (SELECT r.id FROM region r JOIN region c ON r.path >= c.path AND r.path < rtrim(c.path, '/') || '0' WHERE c.id = '01a24224-84c7-719a-b7ed-f3d55ad52665')
  AND e.state IN ('REPORTED','ACCEPTED','DISPATCHED','IN_PROGRESS','RESOLVED')
  AND ((e.accept_met_at IS NULL AND e.accept_due_at < now()) OR (e.plan_met_at IS NULL AND e.plan_due_at < now()) OR (e.close_met_at IS NULL AND e.close_due_at < now()))
ORDER BY e.reported_at DESC, e.id DESC LIMIT 51;
