-- PostgreSQL twin of 0033: the constraint is dropped and added in place (no
-- rebuild needed here), so ids, column order and the index stay as they are.
ALTER TABLE mentions DROP CONSTRAINT mentions_source_external_id_key;
ALTER TABLE mentions ADD CONSTRAINT mentions_room_id_source_external_id_key UNIQUE (room_id, source, external_id);
