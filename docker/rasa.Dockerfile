# The Rasa server (.venv-rasa's contents): rasa==3.6.21 on Python 3.10 (Rasa 3.6's ceiling), with the
# model trained at build time from the committed domain, data and lookups (run `make train` first
# for your city). An internal service: docker-compose.yml publishes its port on loopback only.
FROM python:3.10-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements-rasa.txt ./
RUN pip install --no-cache-dir -r requirements-rasa.txt
COPY config.yml ./
COPY nlu_data ./nlu_data
COPY bot ./bot
RUN rasa train --domain bot/domain --data nlu_data bot/data --config config.yml \
        --out /app/models --fixed-model-name wayfinder
# Every response in the learner's language (bot.rasa_ext.localized_nlg reads them at start-up);
# after training, so a change of wording does not retrain the model.
COPY locales ./locales
# A fixed uid: Kubernetes checks runAsNonRoot against it (deploy/kubernetes).
RUN useradd --create-home --uid 1000 wayfinder && chown -R wayfinder /app
USER wayfinder
EXPOSE 5005
ENTRYPOINT ["rasa"]
# Channels only by default: the HTTP API (trackers, trigger_intent) is switched on by
# docker-compose.yml together with its --auth-token, never without one.
CMD ["run", "-p", "5005", "--model", "/app/models/wayfinder.tar.gz", \
     "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml"]
