SELECT e.id, e.title, e.state, g.name FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = '01a20251-86a7-7265-a746-f2d5219c0397' ORDER BY e.reported_at DESC, e.id DESC LIMIT 20;
