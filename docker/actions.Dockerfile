# The action server (rasa-sdk) and the reminder worker: our code on Python 3.12, like .venv.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY pyproject.toml README.md ./
COPY knowledge ./knowledge
COPY actions ./actions
COPY bot ./bot
COPY locales ./locales
RUN pip install --no-cache-dir --no-deps .
# A fixed uid: Kubernetes checks runAsNonRoot against it (deploy/kubernetes).
RUN useradd --create-home --uid 1000 wayfinder
USER wayfinder
EXPOSE 5055
ENTRYPOINT ["python", "-m"]
CMD ["bot.action_server", "-p", "5055"]
