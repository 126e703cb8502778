# The bot on a slim Python base, catalogs compiled at build time, run as a non-root user.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/var/lib/consultations-bot/bot.sqlite3 \
    ANONYMITY_KEY_FILE=/var/lib/consultations-bot-key/anonymity.key \
    DATA_DIR=/app/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY locales ./locales
COPY data ./data
RUN pip install . \
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
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
