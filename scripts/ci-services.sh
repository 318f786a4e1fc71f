#!/usr/bin/env bash
# Makes sure the services the tests use are up before CI runs them: starts PostgreSQL and Redis if
# they are down, waits (bounded) until they answer, creates the `test` database if it is missing,
# then checks the URLs the tests will use. Exits non-zero with the reason when a service cannot be
# reached, so tests never fail for the wrong reason or skip unnoticed.
#
# Source it (it exports KEEL_TEST_DATABASE_URL and KEEL_TEST_REDIS_URL) or run it on its own.
# Settings (defaults in brackets): KEEL_CI_PG_HOST [127.0.0.1], KEEL_CI_PG_PORT [5432],
# KEEL_CI_PG_USER [postgres], KEEL_CI_PG_DB [test], KEEL_CI_REDIS_HOST [127.0.0.1],
# KEEL_CI_REDIS_PORT [6379], KEEL_CI_SERVICE_WAIT_S [60] (how long to wait for each service).
set -euo pipefail

ci_services() {
  local pg_host="${KEEL_CI_PG_HOST:-127.0.0.1}" pg_port="${KEEL_CI_PG_PORT:-5432}"
  local pg_user="${KEEL_CI_PG_USER:-postgres}" pg_db="${KEEL_CI_PG_DB:-test}"
  local redis_host="${KEEL_CI_REDIS_HOST:-127.0.0.1}" redis_port="${KEEL_CI_REDIS_PORT:-6379}"
  local wait_s="${KEEL_CI_SERVICE_WAIT_S:-60}"
  local tool i exists started=""

  for tool in pg_isready psql redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "ci-services: $tool is not installed; the PostgreSQL/Redis clients are needed to check the services" >&2
      return 1
    }
  done

  # PostgreSQL: start the machine's cluster if nothing answers, then wait for it.
  if ! pg_isready -h "$pg_host" -p "$pg_port" -q; then
    command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] || {
      echo "ci-services: PostgreSQL is not answering at $pg_host:$pg_port and there is no cluster to start (pg_ctlcluster, /etc/postgresql)" >&2
      return 1
    }
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    echo "ci-services: PostgreSQL is down at $pg_host:$pg_port; starting cluster $version/main"
    # A failed start is reported by the readiness wait below, with this output as the reason.
    started="$(pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1)" || true
  fi
  for ((i = 0; i < wait_s; i++)); do
    pg_isready -h "$pg_host" -p "$pg_port" -q && break
    sleep 1
  done
  pg_isready -h "$pg_host" -p "$pg_port" -q || {
    echo "ci-services: PostgreSQL did not become ready at $pg_host:$pg_port within ${wait_s}s${started:+ (start said: $started)}" >&2
    return 1
  }
  exists="$(psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -tAc \
    "select 1 from pg_database where datname = '$pg_db'" 2>&1)" || {
    echo "ci-services: cannot connect to PostgreSQL as $pg_user: $exists" >&2
    return 1
  }
  if [ "$exists" != "1" ]; then
    echo "ci-services: creating database $pg_db"
    local out
    out="$(psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -v ON_ERROR_STOP=1 -qc "create database \"$pg_db\"" 2>&1)" || {
      echo "ci-services: cannot create database $pg_db: $out" >&2
      return 1
    }
  fi
  export KEEL_TEST_DATABASE_URL="${KEEL_TEST_DATABASE_URL:-postgres://$pg_user@$pg_host:$pg_port/$pg_db}"
  local check
  check="$(psql "$KEEL_TEST_DATABASE_URL" -tAc 'select 1' 2>&1)" && [ "$check" = "1" ] || {
    echo "ci-services: KEEL_TEST_DATABASE_URL ($KEEL_TEST_DATABASE_URL) does not answer: $check" >&2
    return 1
  }

  # Redis: start a throwaway server (no persistence) if nothing answers, then wait for it.
  started=""
  if [ "$(redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null)" != "PONG" ]; then
    command -v redis-server >/dev/null 2>&1 || {
      echo "ci-services: Redis is not answering at $redis_host:$redis_port and redis-server is not installed" >&2
      return 1
    }
    echo "ci-services: Redis is down at $redis_host:$redis_port; starting redis-server"
    mkdir -p /var/lib/redis /var/log/redis
    started="$(redis-server --daemonize yes --bind "$redis_host" --port "$redis_port" --save "" \
      --appendonly no --dir /var/lib/redis --logfile "/var/log/redis/ci-$redis_port.log" 2>&1)" || true
  fi
  for ((i = 0; i < wait_s; i++)); do
    [ "$(redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null)" = "PONG" ] && break
    sleep 1
  done
  [ "$(redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null)" = "PONG" ] || {
    echo "ci-services: Redis did not become ready at $redis_host:$redis_port within ${wait_s}s${started:+ (start said: $started)}" >&2
    return 1
  }
  export KEEL_TEST_REDIS_URL="${KEEL_TEST_REDIS_URL:-redis://$redis_host:$redis_port}"
  check="$(redis-cli -u "$KEEL_TEST_REDIS_URL" ping 2>&1)" && [ "$check" = "PONG" ] || {
    echo "ci-services: KEEL_TEST_REDIS_URL ($KEEL_TEST_REDIS_URL) does not answer: $check" >&2
    return 1
  }
  echo "ci-services: PostgreSQL ($KEEL_TEST_DATABASE_URL) and Redis ($KEEL_TEST_REDIS_URL) are ready"
}

# Run directly: check and exit with the result. Sourced: leave the caller to act on the status.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ci_services
fi
