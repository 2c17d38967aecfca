# Madang: one static binary serving the API, realtime, dashboard and web client.
FROM golang:1.27.3-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/madang .

FROM alpine:3.22
RUN apk add --no-cache ca-certificates tzdata \
 && adduser -D -H -u 10001 madang \
 && mkdir /pb_data && chown madang /pb_data
COPY --from=build /out/madang /usr/local/bin/madang
USER madang
VOLUME /pb_data
EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD wget -qO- http://127.0.0.1:8090/api/health >/dev/null || exit 1
ENTRYPOINT ["madang"]
CMD ["serve", "--http=0.0.0.0:8090", "--dir=/pb_data"]
