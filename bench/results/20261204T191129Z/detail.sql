SELECT e.id, e.title, e.state, e.description, e.reported_at, g.name, e.accept_due_at, e.accept_met_at, e.plan_due_at, e.plan_met_at, e.close_due_at, e.close_met_at
FROM event e JOIN region g ON g.id = e.grid_id WHERE e.id = '019c7c44-afdb-7eef-99db-3e9cdd46acbc';
SELECT id FROM photo WHERE event_id = '019c7c44-afdb-7eef-99db-3e9cdd46acbc' AND owner_kind = 'EVENT' ORDER BY position;
SELECT action, from_state, to_state, actor_name, note, created_at FROM event_step WHERE event_id = '019c7c44-afdb-7eef-99db-3e9cdd46acbc' ORDER BY created_at, id;
