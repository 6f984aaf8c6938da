# Our code (knowledge/, actions/, bot/) and the `wayfinder` command, on Python 3.12 like .venv.
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
RUN useradd --create-home wayfinder
USER wayfinder
ENTRYPOINT ["wayfinder"]
CMD ["--help"]
