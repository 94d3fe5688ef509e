#!/bin/sh
# Render the page from the template with busybox's sed, then serve it with busybox's httpd.
# The shell stays PID 1 to stop on SIGTERM: busybox httpd as PID 1 would ignore it.
set -eu
mkdir -p /tmp/www
sed -e "s/@PORT@/${PORT}/" -e "s/@USER@/$(id -u)/" www/index.html.in > /tmp/www/index.html
httpd -f -p "${PORT}" -h /tmp/www &
trap 'kill "$!"; exit 0' TERM INT
wait
