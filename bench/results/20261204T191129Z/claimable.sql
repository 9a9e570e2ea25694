SELECT i.id, i.title, i.due_on, i.capacity, i.active_claims, r.name FROM service_item i JOIN region r ON r.id = i.region_id
WHERE i.direction = 'NEED' AND i.state = 'OPEN' AND i.due_on >= '2026-12-05'
  AND i.region_id IN (SELECT r.id FROM region r JOIN region c ON r.path >= c.path AND r.path < rtrim(c.path, '/') || '0' JOIN committee_membership m ON m.region_id = c.id WHERE m.member_unit_id = '01a24224-84c7-719a-b7ed-f458ea53b8d2')
  AND i.id NOT IN (SELECT item_id FROM service_claim WHERE member_unit_id = '01a24224-84c7-719a-b7ed-f458ea53b8d2' AND state IN ('CLAIMED','IN_PROGRESS','COMPLETED','VERIFIED'))
ORDER BY i.id DESC LIMIT 21;
