DECLARE
  r record;
  n int := 0;
BEGIN
  FOR r IN SELECT id FROM users WHERE email IS NULL LOOP
    UPDATE users SET email = 'x' WHERE id = r.id;
    n := n + 1;
    EXIT WHEN n > 1000;
  END LOOP;
  IF n > 0 THEN
    RAISE NOTICE 'updated %', n;
  END IF;
  EXECUTE 'ALTER TABLE users ADD COLUMN note text';
  PERFORM pg_sleep(0);
EXCEPTION WHEN unique_violation THEN
  NULL;
END
