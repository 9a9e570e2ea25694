SELECT e.id, e.title, e.state, g.name FROM event e JOIN region g ON g.id = e.grid_id
WHERE e.grid_id = '01a1fdb4-3aa0-7769-9550-90aec40a2324' ORDER BY e.reported_at DESC, e.id DESC LIMIT 20;
