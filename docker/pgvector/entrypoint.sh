#!/bin/sh
# Entrypoint of the offline pgvector image, compatible with the official postgres image's:
# POSTGRES_PASSWORD / POSTGRES_USER / POSTGRES_DB, initdb on first start, a temporary init
# server (so readiness is logged twice, as the official image does), then the real server.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
# The temporary server listens only on this socket directory, so clients see it only once
# initialisation is over.
SOCKETS=/var/run/postgresql

# Options as first argument mean "run postgres with these", as in the official image.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
	exec "$@"
fi

# PostgreSQL refuses to run as root: prepare the directories, then start again as postgres.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" "$SOCKETS"
	chown -R postgres:postgres "$PGDATA" "$SOCKETS"
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		echo "error: the database is uninitialized and POSTGRES_PASSWORD is empty: set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow anyone)" >&2
		exit 1
	fi
	pwfile="$(mktemp)"
	printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words on purpose.
	initdb --username="$POSTGRES_USER" --pwfile="$pwfile" \
		--auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
		--encoding=UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-} >&2
	rm -f "$pwfile"
	# initdb allows host connections from loopback only; a container is reached from outside.
	printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
	printf "listen_addresses = '*'\nunix_socket_directories = '%s'\n" "$SOCKETS" >>"$PGDATA/postgresql.conf"

	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >&2
	export PGHOST="$SOCKETS" PGPORT=5432 PGUSER="$POSTGRES_USER"
	if [ "$POSTGRES_DB" != postgres ]; then
		# Through stdin, since psql interpolates :"db" there but not in --command.
		echo 'CREATE DATABASE :"db";' |
			psql -v ON_ERROR_STOP=1 --no-password --dbname postgres --set db="$POSTGRES_DB" >&2
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh) echo "running $f" >&2; . "$f" ;;
		*.sql) echo "running $f" >&2; psql -v ON_ERROR_STOP=1 --no-password --dbname "$POSTGRES_DB" -f "$f" >&2 ;;
		*) ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop >&2
	unset PGHOST PGPORT PGUSER
	echo "PostgreSQL init process complete; ready for start up." >&2
fi

exec "$@"
