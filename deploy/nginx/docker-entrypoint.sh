#!/bin/sh
# Entrypoint of the nginx container in docker-compose.yml (image nginx:alpine, which has
# envsubst): render the shared template into /etc/nginx/nginx.conf, send the logs to the
# container's stdout/stderr (-> fluentd logging driver), check the result, run in foreground.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$RUN_DIR" "$LOG_DIR"
ln -sf /dev/stdout "$LOG_DIR/nginx.log"
ln -sf /dev/stderr "$LOG_DIR/nginx-error.log"

if [ ! -f "$WEB_ROOT/index.html" ]; then
  echo "nginx: $WEB_ROOT/index.html missing (did the web service run?)" >&2
fi

sh "$here/render.sh" "$here/nginx.conf.template" /etc/nginx/nginx.conf
nginx -t -q -c /etc/nginx/nginx.conf -e "$LOG_DIR/nginx-error.log"
exec nginx -c /etc/nginx/nginx.conf -e "$LOG_DIR/nginx-error.log" -g 'daemon off;'
