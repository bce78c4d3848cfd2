#!/usr/bin/env bash
# Creates each team's SCRAM-SHA-512 users and prefixed ACLs on the broker, the same as LocalStack's
# secureKafka: user <team> may read, write, describe, create and describe configs of topics
# "<team>.*", read consumer groups "<team>.*" and write transactional ids "<team>.*"; user
# <team>.service (its processor and sink) may do anything on those three. Idempotent: run it
# again after adding a line to the teams file. Passwords go through files, never arguments.
#
#   usage: teams.sh BOOTSTRAP ADMIN_PROPERTIES TEAMS_FILE CLIENTS_DIR
set -euo pipefail
bootstrap=$1 admin=$2 teams=$3 clients=$4
bin=/opt/kafka/bin
umask 077
mkdir -p "$clients"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

acl() { # principal, resource option, operations...
  local principal=$1 resource=$2; shift 2
  local ops=()
  for op in "$@"; do ops+=(--operation "$op"); done
  "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --add \
    --allow-principal "User:$principal" --resource-pattern-type prefixed $resource "${ops[@]}" >/dev/null
}

user() { # name, password
  printf 'SCRAM-SHA-512=[password=%s]\n' "$2" > "$tmp"
  "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --alter \
    --entity-type users --entity-name "$1" --add-config-file "$tmp" >/dev/null
  cat > "$clients/$1.properties" <<PROPS
# Kafka client properties of user $1: RUNSTREAM_KAFKA_PROPERTIES_FILE; keep private
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$1" password="$2";
PROPS
}

if [ -n "${REGISTRY_PASSWORD:-}" ]; then
  user registry "$REGISTRY_PASSWORD" # a super user (KAFKA_SUPER_USERS): no ACLs needed
fi

grep -v '^\s*#' "$teams" | while read -r team password service; do
  [ -n "$team" ] || continue
  if ! [[ $team =~ ^[A-Za-z0-9_-]+$ ]]; then
    echo "teams.sh: team '$team' must be letters, digits, '_' or '-'" >&2
    exit 1
  fi
  user "$team" "$password"
  user "$team.service" "$service"
  acl "$team" "--topic $team." Read Write Describe Create DescribeConfigs
  acl "$team" "--group $team." Read Describe
  acl "$team" "--transactional-id $team." Write Describe
  acl "$team.service" "--topic $team." All
  acl "$team.service" "--group $team." All
  acl "$team.service" "--transactional-id $team." All
  echo "team $team: users $team and $team.service, prefix $team."
done
