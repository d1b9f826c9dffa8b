-- The password-protected role and database the tests connect as, on every throw-away
-- PostgreSQL server the scripts start (the password is made up and exists only there).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'migsafe_test') THEN
    CREATE ROLE migsafe_test LOGIN PASSWORD 'migsafe-test-secret' SUPERUSER;
  END IF;
END $$;
SELECT 'CREATE DATABASE migsafe_test OWNER migsafe_test'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'migsafe_test')\gexec
