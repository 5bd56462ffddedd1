# Build the Native AOT binary with the .NET SDK, run it on a slim Debian.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Monokube -c Release -r linux-x64 -o /out

FROM debian:12-slim
# The native binary loads OpenSSL at run time for TLS (etcd over https, and the API once it serves HTTPS).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/monokube /usr/local/bin/monokube
USER 65532:65532
EXPOSE 6443
ENTRYPOINT ["/usr/local/bin/monokube"]
CMD ["--help"]
