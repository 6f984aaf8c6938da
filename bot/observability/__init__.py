"""What a city's IT team watches: Prometheus metrics, JSON logs with one request id per message,
and the health and readiness probes of the gateway, the action server and the reminder worker."""
