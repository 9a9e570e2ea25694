-- What PostGraphile needs to answer the read mix over gridhub's own tables (scripts/bench loads
-- this into the bench database only; gridhub never uses it). PostGraphile v4 has no filter
-- beyond equality conditions, so each list is a STABLE SQL function it exposes as a query
-- field (the documented way); being single SELECTs they are inlined by the planner.
-- No auth on this side: the caller's reach is passed in as arguments. Subtrees are path ranges
-- over the one index on region.path, as gridhub's scope filter has them.

-- photo.event_id has no foreign key (photos are shared by several owners): a virtual one, so
-- `event { photos }` exists.
COMMENT ON TABLE photo IS E'@foreignKey (event_id) references event (id)|@foreignFieldName photos';

-- (a) the rider's home: events of my grids (and my own reports), newest first.
CREATE OR REPLACE FUNCTION rider_events(me uuid, grids uuid[]) RETURNS SETOF event AS $$
  SELECT e.* FROM event e
  WHERE e.grid_id = ANY (grids) OR e.reporter_account_id = me
  ORDER BY e.reported_at DESC, e.id DESC
$$ LANGUAGE sql STABLE;

-- (c) a liaison's claimable service items: open needs of the committees its unit sits on (and
-- their subtrees), due today or later, that the unit holds no live claim on; newest first.
CREATE OR REPLACE FUNCTION claimable_service_items(unit uuid, today date) RETURNS SETOF service_item AS $$
  SELECT i.* FROM service_item i
  WHERE i.direction = 'NEED' AND i.state = 'OPEN' AND i.due_on >= today
    AND i.region_id IN (
      SELECT r.id FROM region r
      JOIN region c ON r.path >= c.path AND r.path < rtrim(c.path, '/') || '0'
      JOIN committee_membership m ON m.region_id = c.id
      WHERE m.member_unit_id = unit)
    AND i.id NOT IN (
      SELECT cl.item_id FROM service_claim cl
      WHERE cl.member_unit_id = unit
        AND cl.state IN ('CLAIMED', 'IN_PROGRESS', 'COMPLETED', 'VERIFIED'))
  ORDER BY i.id DESC
$$ LANGUAGE sql STABLE;

-- (d) the console: a community's open events with a clock run out unmet, newest first.
CREATE OR REPLACE FUNCTION community_overdue_events(community uuid) RETURNS SETOF event AS $$
  SELECT e.* FROM event e
  WHERE e.grid_id IN (
      SELECT r.id FROM region r JOIN region c ON r.path >= c.path AND r.path < rtrim(c.path, '/') || '0'
      WHERE c.id = community)
    AND e.state IN ('REPORTED', 'ACCEPTED', 'DISPATCHED', 'IN_PROGRESS', 'RESOLVED')
    AND ((e.accept_met_at IS NULL AND e.accept_due_at < now())
      OR (e.plan_met_at IS NULL AND e.plan_due_at < now())
      OR (e.close_met_at IS NULL AND e.close_due_at < now()))
  ORDER BY e.reported_at DESC, e.id DESC
$$ LANGUAGE sql STABLE;
