FROM @BASE@
RUN export DEBIAN_FRONTEND=noninteractive && apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null && \
    apt-get clean && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15/main && \
    mkdir -p /var/lib/postgresql/data /var/run/postgresql && \
    chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && \
    chmod 3777 /var/run/postgresql && chmod 1777 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER postgres
# The cached data directory: initdb once here, copied into each run's volume.
# A 1 MiB WAL segment (not 16): the engine copies the cached directory into
# each run's volume, and its size is most of a service's start-up.
RUN initdb --username=postgres --auth-local=trust --auth-host=scram-sha-256 --wal-segsize=1 \
      --encoding=UTF8 -D "$PGDATA" >/dev/null && \
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf" && \
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
USER root
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
