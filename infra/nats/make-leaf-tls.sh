#!/usr/bin/env bash
# Makes a private CA and the two certificates of the MainPC <-> PC2 leafnode link.
#
#   infra/nats/make-leaf-tls.sh OUT_DIR MAINPC_NAME_OR_IP...
#   e.g. infra/nats/make-leaf-tls.sh /tmp/qh-tls mainpc mainpc.lan 192.168.1.10
#
# Every name and address PC2 may use to reach MainPC must be listed: PC2 checks that the host in
# its leafnode URL is in MainPC's certificate. Writes ca.crt, ca.key (keep offline), mainpc.crt/.key
# (MainPC), pc2.crt/.key (PC2). Copy to /etc/quotahub/tls/ on each machine: ca.crt plus that
# machine's pair; the .key readable by the nats user only. docs/two-machines.md, "TLS".
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
out=$1
shift
mkdir -p "$out"
cd "$out"
umask 077

san="subjectAltName="
for n in "$@"; do
    if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
done
san=${san%,}

openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes \
    -keyout ca.key -out ca.crt -subj "/CN=QuotaHub leafnode CA" 2>/dev/null

# MainPC: server certificate of the leafnode port (7422).
openssl req -newkey rsa:2048 -nodes -keyout mainpc.key -out mainpc.csr -subj "/CN=$1" 2>/dev/null
printf '%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >mainpc.ext
openssl x509 -req -in mainpc.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
    -extfile mainpc.ext -out mainpc.crt 2>/dev/null

# PC2: client certificate it presents to MainPC (MainPC's `verify: true` requires it).
openssl req -newkey rsa:2048 -nodes -keyout pc2.key -out pc2.csr -subj "/CN=pc2" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >pc2.ext
openssl x509 -req -in pc2.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
    -extfile pc2.ext -out pc2.crt 2>/dev/null

rm -f ./*.csr ./*.ext ca.srl
chmod 644 ca.crt mainpc.crt pc2.crt
openssl verify -CAfile ca.crt mainpc.crt pc2.crt
echo "wrote $(pwd): ca.crt ca.key mainpc.crt mainpc.key pc2.crt pc2.key ($san)"
