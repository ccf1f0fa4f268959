-- The two functions the `messages_search_tsv` trigger calls on every insert and edit, as
-- PL/pgSQL instead of SQL: the same document, computed without re-reading the functions.
-- A SQL function that cannot be inlined (a sub-SELECT, a parameter used twice) is read from
-- the catalog, parsed and planned again each time a trigger's expression state is rebuilt, which
-- is once per transaction: ~0.2 ms of PostgreSQL CPU per stored message, a fifth of a send's
-- (BENCHMARKS.md, "Change 5"). PL/pgSQL keeps its compiled body and plans for the session.
CREATE OR REPLACE FUNCTION chat_search_document(body text, file_name text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
DECLARE
    d text := concat_ws(' ', body, file_name, regexp_replace(file_name, '[[:punct:]]+', ' ', 'g'));
BEGIN
    RETURN to_tsvector('simple', d) || to_tsvector('english', d)
        || CASE WHEN body ~* '(https?://|www\.)[^[:space:]]' THEN $$'has link'$$::tsvector
                ELSE ''::tsvector END;
END $f$;

CREATE OR REPLACE FUNCTION chat_attachment_file_name(attachment_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE AS $f$
BEGIN
    IF $1 IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT a.file_name FROM attachments a WHERE a.id = $1);
END $f$;
