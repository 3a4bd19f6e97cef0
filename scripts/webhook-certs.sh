#!/usr/bin/env bash
# TLS for the herd-controller admission webhooks on clusters without cert-manager, with OpenSSL only.
#
# Creates a CA (ECDSA P-256, 10 years) and a serving certificate for <service>.<namespace>.svc (and
# .svc.cluster.local) signed by it (1 year) in the output folder, then (unless --no-apply) creates or replaces the
# Secret herd-webhook-tls (kubernetes.io/tls, plus ca.crt) and patches the CA into the caBundle of the webhook
# configurations herd-stack-mutating and herd-stack-validating. Apply the manifests without
# controller/cert-manager.yaml first (see manifests/kustomization.yaml). Run it again before the serving
# certificate expires: it creates a new CA and certificate and patches both again.
set -euo pipefail

namespace=herd-system
service=herd-webhook
out_dir=./herd-webhook-certs
apply=true
secret=herd-webhook-tls
mutating=herd-stack-mutating
validating=herd-stack-validating
ca_days=3650
cert_days=365

usage() {
  cat <<EOF
Usage: $(basename "$0") [--namespace NS] [--service NAME] [--out DIR] [--no-apply]

Creates a CA and a webhook serving certificate with OpenSSL and installs them for herd-controller.

Options:
  --namespace NS   namespace of herd-controller and its Service (default: ${namespace})
  --service NAME   name of the webhook Service (default: ${service}); the certificate is valid for
                   NAME.NS.svc and NAME.NS.svc.cluster.local
  --out DIR        where to write ca.crt, ca.key, tls.crt and tls.key (default: ${out_dir});
                   existing files there are replaced
  --no-apply       only write the files and print the caBundle; needs no cluster
  -h, --help       show this help

Without --no-apply, kubectl (current context) creates or replaces Secret ${secret} in NS and sets caBundle
in the webhook configurations ${mutating} and ${validating}, which must exist.
EOF
}

die() {
  echo "webhook-certs: error: $*" >&2
  exit 1
}

need_value() {
  [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
  case $1 in
  --namespace) need_value "$@"; namespace=$2; shift 2 ;;
  --namespace=*) namespace=${1#*=}; shift ;;
  --service) need_value "$@"; service=$2; shift 2 ;;
  --service=*) service=${1#*=}; shift ;;
  --out) need_value "$@"; out_dir=$2; shift 2 ;;
  --out=*) out_dir=${1#*=}; shift ;;
  --no-apply) apply=false; shift ;;
  -h | --help) usage; exit 0 ;;
  *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# DNS-1123 labels: they become certificate names and kubectl arguments.
label='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
[[ ${#namespace} -le 63 && $namespace =~ $label ]] || die "--namespace '$namespace' is not a valid namespace name"
[[ ${#service} -le 63 && $service =~ $label ]] || die "--service '$service' is not a valid Service name"
[[ -n $out_dir ]] || die "--out needs a folder"

command -v openssl >/dev/null 2>&1 || die "openssl not found on PATH (Debian: apt-get install openssl)"
if [[ $apply == true ]]; then
  command -v kubectl >/dev/null 2>&1 || die "kubectl not found on PATH (or use --no-apply to only write files)"
fi

dns_svc="${service}.${namespace}.svc"
dns_local="${dns_svc}.cluster.local"

# OpenSSL configuration, the CSR and serials live in a private scratch folder, so the output holds only the
# four PEM files.
work=$(mktemp -d "${TMPDIR:-/tmp}/herd-webhook-certs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
umask 077 # private keys readable by their owner only

if [[ $apply == true ]]; then
  # Fail before writing anything when the cluster or the namespace is not there.
  kubectl get namespace "$namespace" >/dev/null 2>"$work/err" ||
    die "cannot read namespace '$namespace' (apply manifests/ first; is the kubectl context right?): $(cat "$work/err")"
fi

cat >"$work/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:${dns_svc}, DNS:${dns_local}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

serial() { echo "0x$(openssl rand -hex 16)"; }

# OpenSSL writes keys to files only; its stderr carries errors, never key material.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key" 2>"$work/err" ||
  die "creating the CA key failed: $(cat "$work/err")"
openssl req -new -x509 -config "$work/openssl.cnf" -key "$work/ca.key" -sha256 -days "$ca_days" \
  -subj "/CN=herd-webhook-ca/O=herd" -extensions ca_ext -set_serial "$(serial)" -out "$work/ca.crt" 2>"$work/err" ||
  die "creating the CA certificate failed: $(cat "$work/err")"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/tls.key" 2>"$work/err" ||
  die "creating the serving key failed: $(cat "$work/err")"
openssl req -new -config "$work/openssl.cnf" -key "$work/tls.key" -subj "/CN=${dns_svc}" -out "$work/tls.csr" \
  2>"$work/err" || die "creating the certificate request failed: $(cat "$work/err")"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial "$(serial)" \
  -days "$cert_days" -sha256 -extfile "$work/openssl.cnf" -extensions server_ext -out "$work/tls.crt" \
  2>"$work/err" || die "signing the serving certificate failed: $(cat "$work/err")"
openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" >/dev/null 2>"$work/err" ||
  die "the new serving certificate does not verify against the new CA: $(cat "$work/err")"

(umask 022 && mkdir -p -- "$out_dir") || die "cannot create output folder '$out_dir'"
for file in ca.key tls.key; do
  install -m 600 -- "$work/$file" "$out_dir/$file" || die "cannot write $out_dir/$file"
done
for file in ca.crt tls.crt; do
  install -m 644 -- "$work/$file" "$out_dir/$file" || die "cannot write $out_dir/$file"
done
echo "webhook-certs: wrote $out_dir/{ca.crt,ca.key,tls.crt,tls.key} (CA: ${ca_days} days; serving certificate for" \
  "${dns_svc} and ${dns_local}: ${cert_days} days). Keep ca.key private."

ca_bundle=$(openssl base64 -A -in "$out_dir/ca.crt")

if [[ $apply == false ]]; then
  cat <<EOF
webhook-certs: --no-apply: nothing sent to the cluster. To install by hand:
  kubectl -n ${namespace} create secret generic ${secret} --type=kubernetes.io/tls \\
    --from-file=tls.crt=${out_dir}/tls.crt --from-file=tls.key=${out_dir}/tls.key \\
    --from-file=ca.crt=${out_dir}/ca.crt --dry-run=client -o yaml | kubectl apply -f -
  and set clientConfig.caBundle of every webhook in ${mutating} and ${validating} to:
caBundle: ${ca_bundle}
EOF
  exit 0
fi

# The Secret manifest (with the key) goes straight from one kubectl to the other, never to the terminal.
kubectl -n "$namespace" create secret generic "$secret" --type=kubernetes.io/tls \
  --from-file=tls.crt="$out_dir/tls.crt" --from-file=tls.key="$out_dir/tls.key" \
  --from-file=ca.crt="$out_dir/ca.crt" --dry-run=client -o yaml 2>"$work/err" |
  kubectl apply -f - >/dev/null 2>>"$work/err" || die "creating Secret $namespace/$secret failed: $(cat "$work/err")"
echo "webhook-certs: Secret $namespace/$secret created or replaced"

patch_ca_bundle() {
  local kind=$1 name=$2 count patch="[" i
  count=$(kubectl get "$kind" "$name" -o go-template='{{len .webhooks}}' 2>"$work/err") ||
    die "cannot read $kind $name (apply manifests/ first): $(cat "$work/err")"
  [[ $count =~ ^[0-9]+$ && $count -gt 0 ]] || die "$kind $name has no webhooks"
  for ((i = 0; i < count; i++)); do
    [[ $i -gt 0 ]] && patch+=","
    patch+="{\"op\":\"add\",\"path\":\"/webhooks/$i/clientConfig/caBundle\",\"value\":\"$ca_bundle\"}"
  done
  patch+="]"
  kubectl patch "$kind" "$name" --type=json -p "$patch" >/dev/null 2>"$work/err" ||
    die "patching caBundle into $kind $name failed: $(cat "$work/err")"
  echo "webhook-certs: caBundle set in $kind $name"
}
patch_ca_bundle mutatingwebhookconfiguration "$mutating"
patch_ca_bundle validatingwebhookconfiguration "$validating"
echo "webhook-certs: done; herd-controller reloads the certificate when the Secret's files change"
