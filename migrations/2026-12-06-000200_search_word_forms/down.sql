DROP TRIGGER messages_search_tsv ON messages;
DROP FUNCTION messages_search_tsv();
ALTER TABLE messages DROP COLUMN search_tsv;
ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED;
CREATE INDEX messages_search_idx ON messages USING GIN (search_tsv);
DROP FUNCTION chat_attachment_file_name(bigint);
DROP FUNCTION chat_search_document(text, text);
