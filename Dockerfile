# AstraGuard production image (docker-compose.prod.yml builds it).
# Build stage: Debian 12 with the packages of scripts/install-deps.sh, the same script `make`
# runs (--build-only: no test tools); builds the service and trains the default model.
# Runtime stage: the binary, its shared libraries and the trained model, run as a non-root user.
# tests/stack/compose_test.js checks what can be checked without a Docker engine.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY src src
COPY etc etc
COPY tests tests
COPY bench bench
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j"$(nproc)" --target astraguard default_model

FROM debian:bookworm-slim
# The shared libraries the binary links (libstdc++6, libgcc-s1 and libc6 are in the base
# image); curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libprometheus-cpp-core1.0 libyaml-cpp0.7 libfmt9 zlib1g libssl3 libhiredis0.14 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin astraguard
# The model sits in models/ next to the binary, where serve looks by default.
COPY --from=build /src/build/astraguard /opt/astraguard/astraguard
COPY --from=build /src/build/models/default.model /opt/astraguard/models/default.model
USER astraguard
EXPOSE 8000 9090
# serve drains on SIGTERM (stops accepting, finishes requests in flight, flushes spans and
# logs); exec-form ENTRYPOINT makes it PID 1, so the signal reaches it directly.
STOPSIGNAL SIGTERM
# (port 8000: change it here too if ASTRAGUARD_PORT is set otherwise)
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8000/health/live"]
ENTRYPOINT ["/opt/astraguard/astraguard"]
CMD ["serve"]
