# The demo image: web and worker of docker-compose.yml both build it. A demo (runserver);
# the production image is deploy/Dockerfile.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# Dependencies first, so that editing the code does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# An unprivileged user; /data holds the SQLite database shared by web and worker.
RUN useradd --create-home --uid 1000 app \
    && mkdir -p /data \
    && chown app:app /data
USER app

EXPOSE 8000
CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
