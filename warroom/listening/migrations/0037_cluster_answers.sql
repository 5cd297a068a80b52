-- One reply answering a whole cluster (responses.answer_cluster): the
-- response to the draft's own mention (lead_response_id) and one copy per
-- other member, so each member's clock stops and each connector gets its
-- own delivery. responses is created later (0050), hence no foreign key.
-- The stock-answer rule counts a cluster answer once: its index skips the
-- copies (response_id != lead_response_id).
CREATE TABLE cluster_answers (
    response_id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL,
    cluster_id INTEGER NOT NULL REFERENCES mention_clusters (id),
    lead_response_id INTEGER NOT NULL
);
CREATE INDEX cluster_answers_room ON cluster_answers (room_id, response_id);
