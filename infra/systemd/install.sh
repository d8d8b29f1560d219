#!/usr/bin/env bash
# Installs one QuotaHub site (nats-server + hub) as systemd services. Run as root from the
# repository, after `./mvnw -B -DskipTests package`:
#
#   MainPC:  sudo infra/systemd/install.sh main [--name MAINPC_NAME_OR_IP]...
#   PC2:     sudo infra/systemd/install.sh edge --mainpc MAINPC_HOST_OR_IP --tls-from DIR
#
# It installs the nats-server package if missing, creates the user quotahub, copies the jar to
# /opt/quotahub, the configs to /etc/quotahub (an existing hub-*.yml or nats-*.conf is kept), the
# units to /etc/systemd/system, writes /etc/quotahub/nats-leaf.env (0600) and starts both services.
# On MainPC it generates the leafnode password and prints it once; on PC2 it asks for it (or
# takes it from the environment variable QH_LEAF_PASSWORD) — never from the command line.
# The leafnode runs over TLS, verified both ways: on MainPC it makes a CA and the two certificates
# (infra/nats/make-leaf-tls.sh; MainPC's for its host name, addresses and every --name) into
# /etc/quotahub/tls, with PC2's files in /etc/quotahub/tls/pc2/; copy that directory to PC2 and
# give it to PC2's install as --tls-from. PC2's --mainpc must be one of the names in MainPC's
# certificate. Existing certificates are kept.
# API keys: put each in /etc/quotahub/keys/<key id> (root:quotahub 0440) and restart the hub.
# HTTP tokens (OPERATOR, VIEWER, AGENT) are made into /etc/quotahub/tokens/ (root:quotahub 0440).
# NATS users (infra/nats/make-users): the hub's and one per agent identity (--agent, default one
# named "agents"), with credentials files in /etc/quotahub/nats/ (<user>.userpass: the hub's
# root:quotahub 0440, the agents' root 0600, to hand to the programs that run them). MainPC puts
# the agents' files into the PC2 bundle (/etc/quotahub/tls/pc2/nats/), so that PC2's install gives
# them the same passwords: agents connect to both servers.
#
#   --root DIR     install into DIR instead of / and skip users, ownership and systemctl (to review)
#   --no-start     install and enable, do not start
#   --name N       (main) one more name or address PC2 may use for MainPC, for its certificate
#   --tls-from D   (edge) the directory with ca.crt, pc2.crt and pc2.key made by MainPC's install
#                  (and nats/ with the agents' credentials)
#   --agent NAME   (main) an agent identity (NATS user) to create; repeat for more. Default: agents
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
site="" mainpc="" root="" start=1 tls_from=""
names=()
agents=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    main | edge) site=$1; shift ;;
    --mainpc) mainpc=${2:?--mainpc needs a host}; shift 2 ;;
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --no-start) start=0; shift ;;
    --name) names+=("${2:?--name needs a host name or address}"); shift 2 ;;
    --tls-from) tls_from=${2:?--tls-from needs a directory}; shift 2 ;;
    --agent) agents+=("${2:?--agent needs a name}"); shift 2 ;;
    *) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[[ -n "$site" ]] || { echo "usage: install.sh main | edge --mainpc HOST  (install.sh --help)" >&2; exit 2; }
[[ "$site" == main || -n "$mainpc" ]] || { echo "install.sh edge needs --mainpc HOST (MainPC's name or address)" >&2; exit 2; }
real=1
[[ -z "$root" ]] || real=0
[[ $real -eq 0 || "$(id -u)" -eq 0 ]] || { echo "run as root (sudo)" >&2; exit 1; }

jar="$REPO/hub-$site/target/hub-$site.jar"
[[ -f "$jar" ]] || { echo "$jar is missing: build first (./mvnw -B -DskipTests package)" >&2; exit 1; }
nats_conf=$([[ $site == main ]] && echo main.conf || echo edge.conf)
say() { printf '[install] %s\n' "$*"; }

if [[ $real -eq 1 ]]; then
    command -v nats-server >/dev/null || [[ -x /usr/sbin/nats-server ]] ||
        { say "installing nats-server"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y nats-server; }
    getent passwd nats >/dev/null || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin nats
    getent passwd quotahub >/dev/null || useradd --system --home-dir /var/lib/quotahub --shell /usr/sbin/nologin quotahub
    # The package's default service would hold port 4222.
    systemctl disable --now nats-server.service 2>/dev/null || true
fi

etc="$root/etc/quotahub"
install -d -m 0755 "$etc" "$root/opt/quotahub/docs" "$root/etc/systemd/system"
install -d -m 0750 "$etc/keys" "$etc/tls"
install -m 0644 "$jar" "$root/opt/quotahub/hub-$site.jar"
install -m 0644 "$REPO/docs/two-machines.md" "$root/opt/quotahub/docs/"
keep_or_copy() { # SRC DEST MODE
    if [[ -e "$2" ]]; then say "keeping existing ${2#"$root"}"; else install -m "$3" "$1" "$2"; fi
}
keep_or_copy "$REPO/infra/nats/$nats_conf" "$etc/nats-$site.conf" 0644
keep_or_copy "$REPO/infra/hub/hub-$site.yml" "$etc/hub-$site.yml" 0640
install -m 0644 "$REPO/infra/systemd/nats-$site.service" "$REPO/infra/systemd/hub-$site.service" "$root/etc/systemd/system/"
# Log retention: the units log to the journal; bound its size and age (journald rotates by itself).
install -d -m 0755 "$root/etc/systemd/journald.conf.d"
install -m 0644 "$REPO/infra/systemd/journald-quotahub.conf" "$root/etc/systemd/journald.conf.d/quotahub.conf"

# The leafnode's TLS files (docs/two-machines.md, "TLS for the leafnode").
tls="$etc/tls"
if [[ $site == main && ! -e "$tls/mainpc.crt" ]]; then
    command -v openssl >/dev/null || { say "installing openssl"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y openssl; }
    mapfile -t own < <({ hostname; hostname -f 2>/dev/null; hostname -I 2>/dev/null | tr ' ' '\n'; } | sed '/^$/d' | sort -u)
    made="$(mktemp -d)"
    "$REPO/infra/nats/make-leaf-tls.sh" "$made" "${own[@]}" "${names[@]}" >/dev/null
    install -m 0644 "$made/ca.crt" "$made/mainpc.crt" "$tls/"
    install -m 0640 "$made/mainpc.key" "$tls/"
    install -m 0600 "$made/ca.key" "$tls/"
    install -d -m 0700 "$tls/pc2"
    install -m 0600 "$made/ca.crt" "$made/pc2.crt" "$made/pc2.key" "$tls/pc2/"
    rm -rf "$made"
    say "leafnode TLS: a new CA and certificates in ${tls#"$root"} for: ${own[*]} ${names[*]}"
    say "copy ${tls#"$root"}/pc2/ to PC2 (e.g. scp -r root@MAINPC:${tls#"$root"}/pc2 /root/qh-tls) and run there:"
    say "    infra/systemd/install.sh edge --mainpc <one of the names above> --tls-from /root/qh-tls"
    say "keep ${tls#"$root"}/ca.key offline once both machines are installed (it only makes new certificates)"
elif [[ $site == edge && ! -e "$tls/pc2.crt" ]]; then
    [[ -n "$tls_from" ]] || { echo "install.sh edge needs --tls-from DIR: the directory /etc/quotahub/tls/pc2 of MainPC's install (ca.crt, pc2.crt, pc2.key)" >&2; exit 1; }
    for f in ca.crt pc2.crt pc2.key; do
        [[ -s "$tls_from/$f" ]] || { echo "$tls_from/$f is missing: copy /etc/quotahub/tls/pc2/ from MainPC" >&2; exit 1; }
    done
    install -m 0644 "$tls_from/ca.crt" "$tls_from/pc2.crt" "$tls/"
    install -m 0640 "$tls_from/pc2.key" "$tls/"
    say "leafnode TLS: installed ca.crt, pc2.crt and pc2.key from $tls_from"
else
    say "keeping the existing leafnode TLS files in ${tls#"$root"}"
fi

# HTTP API tokens the hub config names (/etc/quotahub/tokens/*.token), made once per machine.
install -d -m 0750 "$etc/tokens"
for t in ops viewer agent; do
    if [[ ! -s "$etc/tokens/$t.token" ]]; then
        (umask 077; printf 'qh-%s-%s\n' "$t" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$etc/tokens/$t.token")
        chmod 0440 "$etc/tokens/$t.token"
        say "HTTP token made: ${etc#"$root"}/tokens/$t.token"
    fi
done

# NATS users: this hub's and the agents' (docs/security.md, "NATS users"). MainPC makes the agents'
# passwords and puts them into the PC2 bundle; PC2 takes them from there, so both servers agree.
if [[ $site == edge && -d "$tls_from/nats" ]]; then
    install -d -m 0750 "$etc/nats"
    for f in "$tls_from"/nats/*.userpass; do
        [[ -e "$f" ]] || continue
        a=$(basename "$f" .userpass)
        [[ -e "$etc/nats/$a.userpass" ]] || install -m 0600 "$f" "$etc/nats/"
        agents+=("$a")
    done
fi
if [[ ${#agents[@]} -eq 0 ]]; then
    mapfile -t agents < <(find "$etc/nats" -maxdepth 1 -name '*.userpass' ! -name 'hub-*' -printf '%f\n' 2>/dev/null | sed 's/\.userpass$//' | sort)
fi
[[ ${#agents[@]} -gt 0 || $site == edge ]] || agents=(agents)
[[ ${#agents[@]} -gt 0 ]] || say "WARNING: no agent users: copy /etc/quotahub/tls/pc2/ from MainPC again (it has nats/) or pass --agent"
agent_args=()
for a in "${agents[@]}"; do agent_args+=(--agent "$a"); done
"$REPO/infra/nats/make-users" "$etc" --hub "$site" "${agent_args[@]}" | sed 's/^/[install] /'
if [[ $site == main && -d "$tls/pc2" ]]; then
    install -d -m 0700 "$tls/pc2/nats"
    for a in "${agents[@]}"; do install -m 0600 "$etc/nats/$a.userpass" "$tls/pc2/nats/"; done
    say "the agents' NATS credentials are in ${tls#"$root"}/pc2/nats/ too (for PC2's install)"
fi
for a in "${agents[@]}"; do say "agent $a: NATS credentials in ${etc#"$root"}/nats/$a.userpass (QuotaClient.builder().userPasswordFile)"; done

env_file="$etc/nats-leaf.env"
if [[ -e "$env_file" ]]; then
    say "keeping existing ${env_file#"$root"}"
else
    umask 077
    if [[ $site == main ]]; then
        pw="$("$REPO/infra/nats/new-secret")"   # always parses in nats-server's config; safe inside a URL
        printf 'QH_LEAF_PASSWORD=%s\n' "$pw" >"$env_file"
        say "leafnode password generated (in ${env_file#"$root"}); PC2's install asks for it:"
        printf '\n    %s\n\n' "$pw"
    else
        pw=${QH_LEAF_PASSWORD:-}
        if [[ -z "$pw" ]]; then
            read -rsp "[install] leafnode password (from MainPC's /etc/quotahub/nats-leaf.env): " pw
            echo
        fi
        [[ "$pw" =~ ^[A-Za-z0-9._~-]+$ ]] || { echo "the password may hold only letters, digits and ._~- (URL-safe)" >&2; exit 1; }
        printf 'QH_LEAF_URL=nats-leaf://qhleaf:%s@%s:7422\n' "$pw" "$mainpc" >"$env_file"
    fi
    umask 022
fi
chmod 0600 "$env_file"

if [[ $real -eq 0 ]]; then
    say "installed into $root (no users, ownership or services touched)"
    exit 0
fi
chown root:quotahub "$etc/hub-$site.yml" "$etc/keys" "$etc/tokens" "$etc"/tokens/*.token
chown root:nats "$etc/tls" "$etc"/tls/*.key "$etc/nats-users.conf"
chown root:quotahub "$etc/nats" "$etc/nats/hub-$site.userpass"
chmod 0440 "$etc/nats/hub-$site.userpass"
chown root:root "$etc/tls/ca.key" 2>/dev/null || true
chown root:root "$env_file"
systemctl daemon-reload
systemctl restart systemd-journald 2>/dev/null || say "could not restart systemd-journald: its new limits apply at its next start"
systemctl enable "nats-$site.service" "hub-$site.service"
if [[ $start -eq 1 ]]; then
    systemctl restart "nats-$site.service" "hub-$site.service"
    say "started; check: systemctl status nats-$site hub-$site; curl -s -H \"Authorization: Bearer \$(sudo cat /etc/quotahub/tokens/viewer.token)\" http://127.0.0.1:$([[ $site == main ]] && echo 9000 || echo 9100)/api/v1/state"
fi
missing=$(grep -o '/etc/quotahub/keys/[A-Za-z0-9._-]*' "$etc/hub-$site.yml" | sort -u | while read -r f; do [[ -s "$f" ]] || echo "$f"; done)
[[ -z "$missing" ]] || say "API key files still to create (root:quotahub 0440), then restart hub-$site:" $missing
