# A pip app's Dockerfile, written the cache-friendly way: a venv, requirements.txt
# first (hashed: --require-hashes) so a code-only change reuses the install layer,
# no pip cache in the layer, the rest, a numeric non-root user, gunicorn on $PORT.
ARG BASE
FROM ${BASE}
ENV PYTHONUNBUFFERED=1 PORT=8080 PIP_CERT=/etc/ssl/certs/ca-certificates.crt
RUN python3.13 -m venv /venv
WORKDIR /app
COPY requirements.txt ./
RUN /venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes -r requirements.txt
COPY . .
USER 1000
EXPOSE 8080
CMD ["/bin/sh", "-c", "exec /venv/bin/gunicorn --bind 0.0.0.0:$PORT app:app"]
