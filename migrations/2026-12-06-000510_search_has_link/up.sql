-- `has=links` from the GIN index: a message whose text holds a link carries the lexeme
-- `has link` in its document. The default parser never makes a lexeme with a space, so no word
-- anyone writes or searches for can be it; searches add it to their query (`& 'has link'`)
-- instead of running the link pattern on every row the words match (BENCHMARKS.md).
CREATE OR REPLACE FUNCTION chat_search_document(body text, file_name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT to_tsvector('simple', d) || to_tsvector('english', d)
                   || CASE WHEN body ~* '(https?://|www\.)[^[:space:]]' THEN $$'has link'$$::tsvector
                           ELSE ''::tsvector END
            FROM (SELECT concat_ws(' ', body, file_name, regexp_replace(file_name, '[[:punct:]]+', ' ', 'g')) AS d) s);

-- Existing rows: only those with a link change (~2 % in the benchmark's data). The trigger
-- fires on body and attachment changes only, so this sets the column as written.
UPDATE messages SET search_tsv = search_tsv || $$'has link'$$::tsvector
WHERE body ~* '(https?://|www\.)[^[:space:]]';
