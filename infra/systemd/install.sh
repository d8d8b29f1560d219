#!/usr/bin/env bash
# Installs one QuotaHub site (nats-server + hub) as systemd services. Run as root from the
# repository, after `./mvnw -B -DskipTests package`:
#
#   MainPC:  sudo infra/systemd/install.sh main
#   PC2:     sudo infra/systemd/install.sh edge --mainpc MAINPC_HOST_OR_IP
#
# It installs the nats-server package if missing, creates the user quotahub, copies the jar to
# /opt/quotahub, the configs to /etc/quotahub (an existing hub-*.yml or nats-*.conf is kept), the
# units to /etc/systemd/system, writes /etc/quotahub/nats-leaf.env (0600) and starts both services.
# On MainPC it generates the leafnode password and prints it once; on PC2 it asks for it (or
# takes it from the environment variable QH_LEAF_PASSWORD) — never from the command line.
# API keys: put each in /etc/quotahub/keys/<key id> (root:quotahub 0440) and restart the hub.
#
#   --root DIR     install into DIR instead of / and skip users, ownership and systemctl (to review)
#   --no-start     install and enable, do not start
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
site="" mainpc="" root="" start=1
while [[ $# -gt 0 ]]; do
    case "$1" in
    main | edge) site=$1; shift ;;
    --mainpc) mainpc=${2:?--mainpc needs a host}; shift 2 ;;
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --no-start) start=0; shift ;;
    *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
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
chown root:quotahub "$etc/hub-$site.yml" "$etc/keys"
chown root:nats "$etc/tls"
chown root:root "$env_file"
systemctl daemon-reload
systemctl enable "nats-$site.service" "hub-$site.service"
if [[ $start -eq 1 ]]; then
    systemctl restart "nats-$site.service" "hub-$site.service"
    say "started; check: systemctl status nats-$site hub-$site; curl -s http://127.0.0.1:$([[ $site == main ]] && echo 9000 || echo 9100)/api/v1/state"
fi
missing=$(grep -o '/etc/quotahub/keys/[A-Za-z0-9._-]*' "$etc/hub-$site.yml" | sort -u | while read -r f; do [[ -s "$f" ]] || echo "$f"; done)
[[ -z "$missing" ]] || say "API key files still to create (root:quotahub 0440), then restart hub-$site:" $missing
