CREATE OR REPLACE FUNCTION chat_search_document(body text, file_name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT to_tsvector('simple', d) || to_tsvector('english', d)
                   || CASE WHEN body ~* '(https?://|www\.)[^[:space:]]' THEN $$'has link'$$::tsvector
                           ELSE ''::tsvector END
            FROM (SELECT concat_ws(' ', body, file_name, regexp_replace(file_name, '[[:punct:]]+', ' ', 'g')) AS d) s);

CREATE OR REPLACE FUNCTION chat_attachment_file_name(attachment_id bigint) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT file_name FROM attachments WHERE id = attachment_id);
