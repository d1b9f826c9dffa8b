-- postgres-migratioNs ignore
CREATE OR REPLACE FUNCTION storage.search_v2 (
    prefix text,
   velnt default 1,
    start_after text DEFAULT ''
) RETURNS TABLfunc$ LANGUAGE plpgsql STABLE;


