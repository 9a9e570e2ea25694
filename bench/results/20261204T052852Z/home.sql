SELECT e.id, e.title, e.state, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = ANY ('{01a23f35-6605-70c0-bbdc-01412112f61a,01a23f35-6605-70c0-bbdc-0142a33f83be,01a23f35-6605-70c0-bbdc-01435914e4c2}'::uuid[]) OR e.reporter_account_id = '01a23f35-6605-70c0-bbdc-0191ab0923b1'
ORDER BY e.reported_at DESC, e.id DESC LIMIT 21;
