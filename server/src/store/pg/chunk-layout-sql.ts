// Schema version 4: points stored per (series, chunk of 256 steps) as three arrays in one row
// of `series_chunks`, with the chunk's rollup in plain columns of the same row.
//
// Why: one row per point made PostgreSQL maintain a B-tree entry, a heap tuple and a chunk
// rebuild per point (~15 µs of the database's CPU per point on a 2-core machine). Here an
// append past a chunk's last step is one concatenation per touched chunk; the rollup is
// folded in with plain column arithmetic, and a downsampled read of a long series reads only
// the small main tuples (the arrays are TOASTed out of line, uncompressed: STORAGE EXTERNAL),
// because the rollup carries value and wall time of every point the planner can pick; the
// same numbers packed into one generated column make that read a concatenation.
// Overwrites and backfills merge inside the database (lens_chunk_merge) under the row lock,
// so replicas writing the same chunk stay correct.
//
// Expand-then-contract: the version-1 tables (points, chunks) stay, their rows are copied here.
// A replica still running version-1 code during a rolling update keeps writing into `points`;
// a trigger folds each of those rows into series_chunks (and the counters) instead of storing
// it, so nothing it acknowledges is lost and new replicas serve it. Such a replica serves its
// reads from the frozen version-1 rows; its retention sweep is refused (deleting from points
// raises), because its rollup recomputation reads the old tables. Dropping points, chunks and
// these triggers is a later migration, shipped once no replica runs version-1 code.

/** Steps per chunk = 2^CHUNK_SHIFT; the grid is part of the schema (it is in the SQL below). */
export const CHUNK_SHIFT = 8;

/**
 * What a downsampled read needs of a row, in this order, packed into its `rollup` column as
 * big-endian float8s (NULL as NaN; the nullable columns, steps, finite extremes and their
 * wall times, are never NaN otherwise; steps are safe integers, exact as float8): the
 * planner's twelve numbers, then value and wall time of the points they name. Part of the
 * schema: do not change it, add a column in a new migration instead.
 */
export const PACKED_COLUMNS = [
  'first_step',
  'last_step',
  'n',
  'fmin',
  'fmin_step',
  'fmax',
  'fmax_step',
  'nan_step',
  'pinf_step',
  'ninf_step',
  'min_wall',
  'max_wall',
  'first_value',
  'first_wall',
  'last_value',
  'last_wall',
  'fmin_wall',
  'fmax_wall',
  'nan_wall',
  'pinf_wall',
  'ninf_wall',
] as const;
export const PACKED_NULLABLE: readonly boolean[] = PACKED_COLUMNS.map((c) => /^(fmin|fmax|nan|pinf|ninf)/.test(c));
const PACKED_EXPR = PACKED_COLUMNS.map(
  (c, k) => `float8send(${PACKED_NULLABLE[k] ? `coalesce(${c}::float8, 'NaN')` : `${c}::float8`})`,
).join(' || ');

/** The rollup columns, in table order; lens_chunk_rollup returns exactly these. */
export const ROLLUP_COLUMNS = `n, first_step, last_step, first_value, first_wall, last_value, last_wall,
  fmin, fmin_step, fmin_wall, fmax, fmax_step, fmax_wall, nan_step, nan_wall, pinf_step, pinf_wall,
  ninf_step, ninf_wall, min_wall, max_wall`;

export const CHUNK_LAYOUT_SQL = `
-- A version-1 replica's insert between the copy below and the trigger that takes its inserts
-- over would be missed by both: it waits for this migration instead (reads go on).
LOCK TABLE points IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE series_chunks (
  series_id bigint NOT NULL,
  chunk bigint NOT NULL,
  n integer NOT NULL,
  first_step bigint NOT NULL,
  last_step bigint NOT NULL,
  first_value float8 NOT NULL,
  first_wall float8 NOT NULL,
  last_value float8 NOT NULL,
  last_wall float8 NOT NULL,
  fmin float8, fmin_step bigint, fmin_wall float8,
  fmax float8, fmax_step bigint, fmax_wall float8,
  nan_step bigint, nan_wall float8,
  pinf_step bigint, pinf_wall float8,
  ninf_step bigint, ninf_wall float8,
  min_wall float8 NOT NULL,
  max_wall float8 NOT NULL,
  steps bigint[] NOT NULL,
  vals float8[] NOT NULL,
  walls float8[] NOT NULL,
  rollup bytea GENERATED ALWAYS AS (${PACKED_EXPR}) STORED,
  PRIMARY KEY (series_id, chunk)
) WITH (fillfactor = 70);
ALTER TABLE series_chunks ALTER COLUMN steps SET STORAGE EXTERNAL,
  ALTER COLUMN vals SET STORAGE EXTERNAL, ALTER COLUMN walls SET STORAGE EXTERNAL;
CREATE INDEX series_chunks_by_min_wall ON series_chunks (min_wall);

-- The rollup of one chunk's arrays (steps ascending): count, ends, finite min/max (ties: the
-- smallest step), first NaN/+Inf/-Inf, wall-time range; each picked point with its wall time.
CREATE FUNCTION lens_chunk_rollup(bigint[], float8[], float8[],
  OUT n integer, OUT first_step bigint, OUT last_step bigint, OUT first_value float8, OUT first_wall float8,
  OUT last_value float8, OUT last_wall float8,
  OUT fmin float8, OUT fmin_step bigint, OUT fmin_wall float8, OUT fmax float8, OUT fmax_step bigint, OUT fmax_wall float8,
  OUT nan_step bigint, OUT nan_wall float8, OUT pinf_step bigint, OUT pinf_wall float8,
  OUT ninf_step bigint, OUT ninf_wall float8, OUT min_wall float8, OUT max_wall float8)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT cardinality($1), $1[1], $1[cardinality($1)], $2[1], $3[1], $2[cardinality($1)], $3[cardinality($1)],
    lo.pv, lo.ps, lo.pw, hi.pv, hi.ps, hi.pw, na.ps, na.pw, pi.ps, pi.pw, ni.ps, ni.pw, mm.lo, mm.hi
  FROM (SELECT min(x) AS lo, max(x) AS hi FROM unnest($3) AS x) mm
  LEFT JOIN LATERAL (SELECT * FROM unnest($1, $2, $3) AS p(ps, pv, pw)
    WHERE p.pv NOT IN ('NaN', 'Infinity', '-Infinity') ORDER BY p.pv, p.ps LIMIT 1) lo ON true
  LEFT JOIN LATERAL (SELECT * FROM unnest($1, $2, $3) AS p(ps, pv, pw)
    WHERE p.pv NOT IN ('NaN', 'Infinity', '-Infinity') ORDER BY p.pv DESC, p.ps LIMIT 1) hi ON true
  LEFT JOIN LATERAL (SELECT * FROM unnest($1, $2, $3) AS p(ps, pv, pw) WHERE p.pv = 'NaN' ORDER BY p.ps LIMIT 1) na ON true
  LEFT JOIN LATERAL (SELECT * FROM unnest($1, $2, $3) AS p(ps, pv, pw) WHERE p.pv = 'Infinity' ORDER BY p.ps LIMIT 1) pi ON true
  LEFT JOIN LATERAL (SELECT * FROM unnest($1, $2, $3) AS p(ps, pv, pw) WHERE p.pv = '-Infinity' ORDER BY p.ps LIMIT 1) ni ON true
$f$;

-- Stored arrays ($1..$3) merged with new points ($4..$6, steps unique): a new point replaces
-- the stored one of its step. added = points that were not there; changed = a stored point got
-- another value or wall time (NaN equals NaN here, as in float8 comparison).
CREATE FUNCTION lens_chunk_merge(bigint[], float8[], float8[], bigint[], float8[], float8[],
  OUT steps bigint[], OUT vals float8[], OUT walls float8[], OUT added integer, OUT changed boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT array_agg(m.ps ORDER BY m.ps), array_agg(m.pv ORDER BY m.ps), array_agg(m.pw ORDER BY m.ps),
    (count(*) - cardinality($1))::integer, coalesce(bool_or(m.ch), false)
  FROM (SELECT coalesce(n.ps, o.ps) AS ps,
          CASE WHEN n.ps IS NULL THEN o.pv ELSE n.pv END AS pv,
          CASE WHEN n.ps IS NULL THEN o.pw ELSE n.pw END AS pw,
          (o.ps IS NOT NULL AND n.ps IS NOT NULL AND (o.pv, o.pw) IS DISTINCT FROM (n.pv, n.pw)) AS ch
        FROM unnest($1, $2, $3) AS o(ps, pv, pw) FULL JOIN unnest($4, $5, $6) AS n(ps, pv, pw) ON o.ps = n.ps) m
$f$;

-- Series summaries recomputed from their chunk rows (O(chunks)); a series without chunks is zeroed.
CREATE FUNCTION lens_series_recompute(bigint[]) RETURNS void LANGUAGE sql AS $f$
  UPDATE series s SET count = coalesce(a.n, 0), fmin = a.fmin, fmax = a.fmax,
    last_step = l.last_step, last_value = l.last_value, last_time = l.last_wall
  FROM unnest($1) AS t(id)
  CROSS JOIN LATERAL (SELECT sum(c.n)::bigint AS n, min(c.fmin) AS fmin, max(c.fmax) AS fmax
                      FROM series_chunks c WHERE c.series_id = t.id) a
  LEFT JOIN LATERAL (SELECT c.last_step, c.last_value, c.last_wall FROM series_chunks c
                     WHERE c.series_id = t.id ORDER BY c.chunk DESC LIMIT 1) l ON true
  WHERE s.id = t.id
$f$;

-- The one-statement append commit ends with this: when it could not lock every workload it
-- expected or a chunk was not a plain append, the statement rolls back (SQLSTATE LN001) and
-- the server writes the same batches again in a transaction that merges.
CREATE FUNCTION lens_require_append(boolean) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
  IF NOT $1 THEN
    RAISE EXCEPTION 'not a plain append: primus-lens writes these points again in a transaction (expected, not a failure)'
      USING ERRCODE = 'LN001';
  END IF;
  RETURN true;
END
$f$;

INSERT INTO series_chunks (series_id, chunk, ${ROLLUP_COLUMNS}, steps, vals, walls)
SELECT g.series_id, g.chunk, r.*, g.s, g.v, g.w
FROM (SELECT series_id, step >> 8 AS chunk, array_agg(step ORDER BY step) AS s,
        array_agg(value ORDER BY step) AS v, array_agg(wall_time ORDER BY step) AS w
      FROM points GROUP BY 1, 2) g
CROSS JOIN LATERAL lens_chunk_rollup(g.s, g.v, g.w) r;

-- A version-1 replica's point: merged into series_chunks with its counters, not stored in
-- points (BEFORE INSERT returning NULL also skips its ON CONFLICT, so that code sees nothing
-- changed and leaves the counters to this trigger). It holds its workload's row lock, as
-- version 4 does, so this runs serialised with every other writer of the workload.
CREATE FUNCTION lens_points_into_chunks() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
  k bigint := NEW.step >> 8;
  cur series_chunks%ROWTYPE;
  m record;
BEGIN
  SELECT * INTO cur FROM series_chunks WHERE series_id = NEW.series_id AND chunk = k FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO series_chunks (series_id, chunk, ${ROLLUP_COLUMNS}, steps, vals, walls)
    SELECT NEW.series_id, k, r.*, ARRAY[NEW.step], ARRAY[NEW.value], ARRAY[NEW.wall_time]
    FROM lens_chunk_rollup(ARRAY[NEW.step], ARRAY[NEW.value], ARRAY[NEW.wall_time]) r;
  ELSE
    SELECT * INTO m FROM lens_chunk_merge(cur.steps, cur.vals, cur.walls, ARRAY[NEW.step], ARRAY[NEW.value], ARRAY[NEW.wall_time]);
    IF m.added = 0 AND NOT m.changed THEN
      RETURN NULL;
    END IF;
    UPDATE series_chunks c SET (${ROLLUP_COLUMNS}) = (SELECT * FROM lens_chunk_rollup(m.steps, m.vals, m.walls)),
      steps = m.steps, vals = m.vals, walls = m.walls
    WHERE c.series_id = NEW.series_id AND c.chunk = k;
    IF m.changed THEN
      PERFORM lens_series_recompute(ARRAY[NEW.series_id]);
      RETURN NULL;
    END IF;
  END IF;
  UPDATE series SET count = count + 1,
    fmin = CASE WHEN NEW.value IN ('NaN', 'Infinity', '-Infinity') THEN fmin ELSE least(fmin, NEW.value) END,
    fmax = CASE WHEN NEW.value IN ('NaN', 'Infinity', '-Infinity') THEN fmax ELSE greatest(fmax, NEW.value) END,
    last_value = CASE WHEN last_step IS NULL OR NEW.step > last_step THEN NEW.value ELSE last_value END,
    last_time = CASE WHEN last_step IS NULL OR NEW.step > last_step THEN NEW.wall_time ELSE last_time END,
    last_step = greatest(last_step, NEW.step)
  WHERE id = NEW.series_id;
  UPDATE runs SET points = points + 1, last_step = greatest(last_step, NEW.step)
  WHERE id = (SELECT run_pk FROM series WHERE id = NEW.series_id);
  UPDATE workloads SET points = points + 1, last_step = greatest(last_step, NEW.step)
  WHERE id = (SELECT workload_id FROM series WHERE id = NEW.series_id);
  RETURN NULL;
END
$f$;
CREATE TRIGGER points_into_chunks BEFORE INSERT ON points FOR EACH ROW EXECUTE FUNCTION lens_points_into_chunks();

CREATE FUNCTION lens_points_frozen() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION 'points are kept in series_chunks since schema version 4: retention runs on replicas at version 4 or later (finish the rolling update)';
END
$f$;
CREATE TRIGGER points_frozen BEFORE DELETE OR TRUNCATE ON points FOR EACH STATEMENT EXECUTE FUNCTION lens_points_frozen();
`;
