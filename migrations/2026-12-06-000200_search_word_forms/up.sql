-- Search finds word forms ("meetings" finds "meeting") without losing other languages: a
-- message's document is its words as written (`simple`: every language, stop words, exact
-- forms, prefixes of what was typed) plus their English stems (`english`). Queries ask both
-- (`shared::models::search_query`). The attachment's file name is part of the document, also
-- split at punctuation ("q3-budget.pdf" is found by "budget").
CREATE FUNCTION chat_search_document(body text, file_name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT to_tsvector('simple', d) || to_tsvector('english', d)
            FROM (SELECT concat_ws(' ', body, file_name, regexp_replace(file_name, '[[:punct:]]+', ' ', 'g')) AS d) s);

CREATE FUNCTION chat_attachment_file_name(attachment_id bigint) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT file_name FROM attachments WHERE id = attachment_id);

-- A generated column cannot read the attachment's row, so a trigger keeps the column in sync:
-- on every insert and on every change of the body or the attachment (edits, tombstones, an
-- upload removed by `ON DELETE SET NULL`). An upload's file name never changes.
CREATE FUNCTION messages_search_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_tsv := chat_search_document(NEW.body, chat_attachment_file_name(NEW.attachment_id));
    RETURN NEW;
END $$;

-- Existing rows: one rewrite of the table (ALTER TYPE ... USING), which also rebuilds the GIN
-- index once, instead of an UPDATE that would leave a dead copy of every row behind.
ALTER TABLE messages ALTER COLUMN search_tsv DROP EXPRESSION;
ALTER TABLE messages ALTER COLUMN search_tsv TYPE tsvector
    USING chat_search_document(body, chat_attachment_file_name(attachment_id));

CREATE TRIGGER messages_search_tsv BEFORE INSERT OR UPDATE OF body, attachment_id ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_search_tsv();
