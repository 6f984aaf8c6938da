# The load balancer: HAProxy from Debian bookworm's own package (2.6), the same one `make e2e-scale`
# runs on localhost, with the same docker/haproxy.cfg. socat talks to its admin socket (draining a
# server by hand, docs/deployment.md).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends haproxy socat \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /run/haproxy && chown haproxy:haproxy /run/haproxy
COPY docker/haproxy.cfg /etc/haproxy/haproxy.cfg
RUN haproxy -c -f /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 8080 8090 5005 5055
# -W: master-worker (a reload never drops connections); -db: stay in the foreground, log to stdout.
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
