CREATE OR REPLACE FUNCTION chat_search_document(body text, file_name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT to_tsvector('simple', d) || to_tsvector('english', d)
            FROM (SELECT concat_ws(' ', body, file_name, regexp_replace(file_name, '[[:punct:]]+', ' ', 'g')) AS d) s);

UPDATE messages SET search_tsv = ts_delete(search_tsv, 'has link')
WHERE search_tsv @@ $$'has link'$$::tsquery;
