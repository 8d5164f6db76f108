FROM @BASE@
RUN export DEBIAN_FRONTEND=noninteractive && apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends mariadb-server >/dev/null && \
    apt-get clean && rm -rf /var/lib/apt/lists/* /var/lib/mysql && \
    mkdir -p /var/lib/mysql /run/mysqld && chown mysql:mysql /var/lib/mysql /run/mysqld && \
    chmod 1777 /run/mysqld && \
    printf '[mariadbd]\nskip-name-resolve\nbind-address=*\nhost-cache-size=0\ninnodb_log_file_size=8M\ninnodb_buffer_pool_size=64M\n' > /etc/mysql/mariadb.conf.d/90-coach.cnf
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
USER mysql
# The cached data directory: mariadb-install-db once here.
RUN mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
      --auth-root-authentication-method=socket >/dev/null 2>&1
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["mariadbd"]
