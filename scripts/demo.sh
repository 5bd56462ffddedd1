#!/usr/bin/env bash
# The self-hosted pivot on this machine, end to end: etcd on 127.0.0.1, rendered assets, a bootstrap node agent
# (monokube node --runtime process, the seed's taint and lock file) that runs the control-plane images as monokube's
# own commands, and monokube start, which pushes the manifests, waits for the managed control plane, hands the
# apiserver port over and exits. Ends with `kubectl get nodes,pods -A -o wide` from the managed control plane and
# removes everything it started on exit or Ctrl-C.
#
#   scripts/demo.sh                      build the native binary and run the pivot
#   MONOKUBE_BIN=out/monokube scripts/demo.sh   use a binary you already have
#   MONOKUBE_DEMO_KEEP=1 scripts/demo.sh        leave the cluster running (stop it with the printed command)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/monokube-demo.XXXXXX)"
host="$work/host"
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

stop_all() {
  # The node agents' containers run in sessions of their own (they outlive an agent, as containers outlive a
  # kubelet); their supervisors' pids are in the state files.
  for state in "$host"/var/lib/kubelet/pods/*/containers/*/state; do
    [ -f "$state" ] && kill -TERM -- "-$(cut -d' ' -f1 "$state")" 2>/dev/null || true
  done
  for pid in ${pids:-}; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for state in "$host"/var/lib/kubelet/pods/*/containers/*/state; do
    [ -f "$state" ] && kill -KILL -- "-$(cut -d' ' -f1 "$state")" 2>/dev/null || true
  done
  for pid in ${pids:-}; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

if [ "${MONOKUBE_DEMO_KEEP:-}" != 1 ]; then
  trap stop_all EXIT
  trap 'exit 130' INT TERM
fi

if ! command -v etcd >/dev/null; then
  say "installing etcd from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null
fi

bin="${MONOKUBE_BIN:-}"
if [ -z "$bin" ]; then
  say "building the native binary (dotnet publish -r linux-x64)"
  dotnet publish "$repo/src/Monokube" -c Release -r linux-x64 -o "$work/bin" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
  bin="$work/bin/monokube"
fi
bin="$(readlink -f "$bin")"

api_port="$(free_port)"
etcd_port="$(free_port)"
say "etcd on 127.0.0.1:$etcd_port"
etcd --name demo --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$(free_port)" \
  --unsafe-no-fsync >"$work/etcd.log" 2>&1 &
pids="$!"

say "rendering the cluster's assets for https://127.0.0.1:$api_port"
"$bin" render --asset-dir "$work/assets" --api-servers "https://127.0.0.1:$api_port" \
  --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 | tail -n 3

# The machine's /etc/kubernetes and /var/lib/kubelet, as cloud-init lays them down, under a directory of their own.
mkdir -p "$host/etc/kubernetes/manifests" "$host/var/lib/kubelet/pki" "$host/var/run/lock" "$host/var/log"
install -m 0600 "$work/assets/auth/bootstrap-kubeconfig" "$host/etc/kubernetes/bootstrap-kubeconfig"
install -m 0644 "$work/assets/tls/ca.crt" "$host/etc/kubernetes/ca.crt"
install -m 0644 "$work/assets/bootstrap/kubelet-config.yaml" "$host/etc/kubernetes/kubelet-config.yaml"

# The control-plane images, run as monokube's own commands; everything else (kube-proxy, CoreDNS) is simulated.
images="$work/images.yaml"
repository="registry.k8s.io"
cat >"$images" <<MAP
$repository/kube-apiserver: [$bin, serve, --controllers=none]
$repository/kube-controller-manager: [$bin, controller-manager]
$repository/kube-scheduler: [$bin, scheduler]
$repository/kubelet: [$bin, node, --runtime=process, --image-map=$images, --host-root=$host, --address=127.0.0.1]
MAP

say "starting the bootstrap node agent (taint component=kubelet, lock file $host/var/run/lock/kubelet.lock)"
"$bin" node --runtime=process --image-map="$images" --host-root="$host" \
  --config="$host/etc/kubernetes/kubelet-config.yaml" \
  --bootstrap-kubeconfig="$host/etc/kubernetes/bootstrap-kubeconfig" \
  --kubeconfig="$host/var/lib/kubelet/kubeconfig" --cert-dir="$host/var/lib/kubelet/pki" \
  --node-labels=monokube.io/control-plane=true --register-with-taints=component=kubelet:NoSchedule \
  --lock-file="$host/var/run/lock/kubelet.lock" --exit-on-lock-contention \
  --hostname-override=master-0 --address=127.0.0.1 >"$work/bootstrap-node.log" 2>&1 &
pids="$pids $!"

say "monokube start"
began=$(date +%s%N)
"$bin" start --asset-dir "$work/assets" --etcd-servers "http://127.0.0.1:$etcd_port" --timeout=5m
took_ms=$((($(date +%s%N) - began) / 1000000))
say "pivot done in $((took_ms / 1000)).$(printf %03d $((took_ms % 1000))) s; the bootstrap node agent said: $(tail -n 1 "$work/bootstrap-node.log")"

kubeconfig="$work/assets/auth/admin.kubeconfig"
say "a worker joins with the bootstrap token (TLS bootstrap: the managed controller-manager signs its certificate)"
"$bin" node --bootstrap-kubeconfig="$work/assets/auth/bootstrap-kubeconfig" --kubeconfig="$work/worker/kubeconfig" \
  --root-dir="$work/worker" --hostname-override=worker-1 --address=127.0.0.1 --port=0 >"$work/worker-node.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 1 120); do
  kubectl --kubeconfig "$kubeconfig" get node worker-1 >/dev/null 2>&1 && break
  sleep 0.5
done
kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready node/worker-1 --timeout=60s
kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready pods --all -n kube-system --timeout=120s >/dev/null

say "kubectl get nodes,pods -A -o wide (from the managed control plane)"
kubectl --kubeconfig "$kubeconfig" get nodes,pods -A -o wide

if [ "${MONOKUBE_DEMO_KEEP:-}" = 1 ]; then
  echo
  echo "The cluster keeps running: kubectl --kubeconfig $kubeconfig ..."
  echo "Its files are in $work. To stop it: kill the processes listed by: grep -h . $host/var/lib/kubelet/pods/*/containers/*/state; kill $pids"
fi
