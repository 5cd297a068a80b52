-- PostgreSQL twin of the FTS5 search migration of the same number. FTS5 has no
-- PostgreSQL spelling and PostgreSQL search (a tsvector column with a GIN index,
-- and a dialect branch in the search module) is not built yet (issue 21), so on
-- PostgreSQL this number is recorded and creates nothing: search answers there
-- only once that is done.
SELECT 1;
