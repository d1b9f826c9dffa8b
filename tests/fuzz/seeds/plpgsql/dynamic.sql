DECLARE
  t text := 'users';
BEGIN
  EXECUTE format('ALTER TABLE %I ADD COLUMN c int', t);
  EXECUTE $x$DO $y$ BEGIN CREATE INDEX i ON users (email); END $y$ $x$;
  FOR i IN 1..10 LOOP
    INSERT INTO log VALUES (i);
  END LOOP;
  RETURN;
END
