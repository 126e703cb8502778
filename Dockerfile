# The bot on a slim Python base, catalogs compiled at build time, run as a non-root user.
# The base is pinned (version and digest of its multi-platform index) and the dependencies by
# constraints.txt, so that rebuilding the same commit gives the same image. To move to a newer
# Python 3.12 release: `docker buildx imagetools inspect python:3.12.N-slim-bookworm` gives the
# digest; refresh constraints.txt with .ci/refresh-constraints.sh.
FROM python:3.12.15-slim-bookworm@sha256:54c85f3c47607a77f32adec749d3c81d1348bf25833671f512b26a9b6d778cb3

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/var/lib/consultations-bot/bot.sqlite3 \
    ANONYMITY_KEY_FILE=/var/lib/consultations-bot-key/anonymity.key \
    DATA_DIR=/app/data

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY locales ./locales
# The sample event; docker-compose.yml mounts the host's data/ over it (read-only).
COPY data ./data
RUN pip install -c constraints.txt . \
    && python -c "from bot.i18n import compile_catalogs; compile_catalogs()" \
    && useradd --system --uid 10001 --home /app bot \
    && mkdir -p /var/lib/consultations-bot /var/lib/consultations-bot-key \
    && chown bot /var/lib/consultations-bot /var/lib/consultations-bot-key \
    && chmod 700 /var/lib/consultations-bot-key

USER bot
# The database, and apart from it the anonymity key (unless ANONYMITY_KEY is set): a copy of the
# database's volume must not carry the key.
VOLUME ["/var/lib/consultations-bot", "/var/lib/consultations-bot-key"]
# The webhook server (webhook mode only): updates on the WEBHOOK_URL path, GET /healthz.
EXPOSE 8080
# The programme's web pages in long-polling mode, when WEB_BASE_URL is set: /c/ (the pages),
# /app/ (the Mini App), /cal/ (calendar feeds), on WEB_PORT (8081 by default). In webhook mode
# they are served on 8080 beside the webhook instead.
EXPOSE 8081
# Healthy while the database reads at this version's schema and updates arrive: long polling
# had a successful getUpdates within HEALTH_STALE_SECONDS (180), or the webhook server's
# /healthz answers ok. One line says why, in `docker inspect`.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
