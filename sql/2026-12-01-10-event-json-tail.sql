-- What follows `data` in the event's `Event` JSON (PROTOCOL §Read): `,"time":…,"receivedAt":"…"}`,
-- rendered by the server at commit. A page read then joins stored text; formatting `time` and
-- `received_at` per row (to_json, to_char) was most of PostgreSQL's time per catch-up page.
-- Rows written before this column existed keep NULL and are rendered by the page query itself.
ALTER TABLE events ADD COLUMN json_tail text;
