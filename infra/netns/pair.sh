#!/usr/bin/env bash
# MainPC and PC2 on one Linux host: two network namespaces joined by a veth pair, each running
# its own nats-server and hub from the two-machine files (infra/nats/*.conf, infra/hub/*.yml).
# Run as root from a built repository (./mvnw -B -DskipTests package). docs/two-machines.md.
#
#   infra/netns/pair.sh up        namespaces mainpc (10.77.0.1) and pc2 (10.77.0.2), veth link
#   infra/netns/pair.sh start     nats + hub in each namespace (work dir $QH_PAIR_DIR, /tmp/qh-pair)
#   infra/netns/pair.sh status    each hub's peer from /api/v1/state, the leafnode from /leafz
#   infra/netns/pair.sh cut|heal  take the link between the "machines" down / up again
#   infra/netns/pair.sh stop      stop what `start` started (PIDs in the work dir)
#   infra/netns/pair.sh down      stop, then delete the namespaces
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
W=${QH_PAIR_DIR:-/tmp/qh-pair}
MAIN_IP=10.77.0.1
EDGE_IP=10.77.0.2

in_ns() { ip netns exec "$@"; }

up() {
    ip netns add mainpc
    ip netns add pc2
    ip link add veth-mainpc type veth peer name veth-pc2
    ip link set veth-mainpc netns mainpc
    ip link set veth-pc2 netns pc2
    ip -n mainpc addr add "$MAIN_IP/24" dev veth-mainpc
    ip -n pc2 addr add "$EDGE_IP/24" dev veth-pc2
    for ns in mainpc pc2; do
        ip -n "$ns" link set lo up
    done
    ip -n mainpc link set veth-mainpc up
    ip -n pc2 link set veth-pc2 up
    echo "mainpc ($MAIN_IP) <-> pc2 ($EDGE_IP): link up"
}

# spawn NS NAME COMMAND...: background process in a namespace, log and pid in the work dir.
spawn() {
    local ns=$1 name=$2
    shift 2
    setsid ip netns exec "$ns" "$@" </dev/null >"$W/$name.log" 2>&1 &
    echo "$!" >"$W/$name.pid"
    echo "started $name in $ns (pid $!, log $W/$name.log)"
}

wait_http() { # NS URL SECONDS
    local i
    for ((i = 0; i < $3 * 2; i++)); do
        in_ns "$1" curl -fsS --max-time 2 "$2" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "no answer from $2 in $1 after $3 s" >&2
    return 1
}

start() {
    rm -rf "$W"
    mkdir -p "$W/mainpc" "$W/pc2" "$W/keys"
    chmod 700 "$W" "$W/keys"
    local pw id
    pw="$("$ROOT/infra/nats/new-secret")"
    # Demo API keys: files, as on a real install (secret-file).
    for id in gemini-primary gemini-backup; do
        printf 'sk-pair-%s' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$W/keys/$id"
    done
    # The leafnode's TLS, as install.sh makes it: a CA and certificates for MainPC's address.
    "$ROOT/infra/nats/make-leaf-tls.sh" "$W/tls" "$MAIN_IP" >/dev/null
    sed -e "s|/var/lib/quotahub/nats|$W/mainpc/nats-store|" -e "s|/etc/quotahub/tls|$W/tls|" \
        "$ROOT/infra/nats/main.conf" >"$W/mainpc/nats-main.conf"
    sed -e "s|/var/lib/quotahub/nats|$W/pc2/nats-store|" -e "s|/etc/quotahub/tls|$W/tls|" \
        "$ROOT/infra/nats/edge.conf" >"$W/pc2/nats-edge.conf"
    # NATS users beside each server's config, as install.sh makes them (the agents' shared).
    "$ROOT/infra/nats/make-users" "$W/mainpc" --hub main --agent agents >/dev/null
    mkdir -p "$W/pc2/nats"
    cp -p "$W/mainpc/nats/agents.userpass" "$W/pc2/nats/"
    "$ROOT/infra/nats/make-users" "$W/pc2" --hub edge --agent agents >/dev/null
    # HTTP tokens, as install.sh makes them (status reads the state with the viewer's).
    mkdir -p "$W/tokens"
    for id in ops viewer agent; do
        printf 'qh-%s-%s' "$id" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$W/tokens/$id.token"
    done
    sed -e "s|/etc/quotahub/keys|$W/keys|" -e "s|/etc/quotahub/tokens|$W/tokens|" -e "s|/etc/quotahub/nats|$W/mainpc/nats|" \
        "$ROOT/infra/hub/hub-main.yml" >"$W/mainpc/hub-main.yml"
    sed -e "s|/etc/quotahub/keys|$W/keys|" -e "s|/etc/quotahub/tokens|$W/tokens|" -e "s|/etc/quotahub/nats|$W/pc2/nats|" \
        "$ROOT/infra/hub/hub-edge.yml" >"$W/pc2/hub-edge.yml"

    # The secret reaches nats-server through the environment only, as with nats-leaf.env.
    QH_LEAF_PASSWORD=$pw spawn mainpc nats-main nats-server -c "$W/mainpc/nats-main.conf"
    QH_LEAF_URL="nats-leaf://qhleaf:$pw@$MAIN_IP:7422" spawn pc2 nats-edge nats-server -c "$W/pc2/nats-edge.conf"
    wait_http mainpc http://127.0.0.1:8222/leafz 10
    wait_http pc2 http://127.0.0.1:8223/leafz 10
    MICRONAUT_CONFIG_FILES="$W/mainpc/hub-main.yml" spawn mainpc hub-main java -Xmx512m -jar "$ROOT/hub-main/target/hub-main.jar"
    MICRONAUT_CONFIG_FILES="$W/pc2/hub-edge.yml" spawn pc2 hub-edge java -Xmx512m -jar "$ROOT/hub-edge/target/hub-edge.jar"
    wait_http mainpc http://127.0.0.1:9000/health/readiness 120
    wait_http pc2 http://127.0.0.1:9100/health/readiness 120
    echo "both hubs ready"
}

status() {
    # the viewer's token goes to curl on stdin (-H @-), not on its command line
    echo "hub-main (mainpc) peer: $(printf 'Authorization: Bearer %s\n' "$(<"$W/tokens/viewer.token")" |
        in_ns mainpc curl -fsS --max-time 3 -H @- http://127.0.0.1:9000/api/v1/state | jq -c .peer)"
    echo "hub-edge (pc2)    peer: $(printf 'Authorization: Bearer %s\n' "$(<"$W/tokens/viewer.token")" |
        in_ns pc2 curl -fsS --max-time 3 -H @- http://127.0.0.1:9100/api/v1/state | jq -c .peer)"
    echo "nats-main leafnodes: $(in_ns mainpc curl -fsS --max-time 3 http://127.0.0.1:8222/leafz | jq -c '[.leafs[]? | {ip, port, account}]')"
}

stop() {
    local name pid
    for name in hub-edge hub-main nats-edge nats-main; do
        [[ -f "$W/$name.pid" ]] || continue
        pid=$(cat "$W/$name.pid")
        kill -TERM "$pid" 2>/dev/null && echo "stopped $name (pid $pid)" || true
        rm -f "$W/$name.pid"
    done
}

case "${1:-}" in
up) up ;;
start) start ;;
status) status ;;
cut) ip -n pc2 link set veth-pc2 down && echo "link cut" ;;
heal) ip -n pc2 link set veth-pc2 up && echo "link healed" ;;
stop) stop ;;
down)
    stop
    sleep 1
    ip netns del mainpc 2>/dev/null || true
    ip netns del pc2 2>/dev/null || true
    echo "namespaces deleted"
    ;;
*) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
