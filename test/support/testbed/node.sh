#!/usr/bin/env bash
# One simulated machine of the namespace testbed (test/support/testbed/index.ts).
#   node.sh boot ENVFILE   start the machine's PID 1 (own pid, mount and uts namespaces inside
#                          its network namespace, private /run, /dev/shm and state directories)
#   node.sh off  ENVFILE   power loss: every process of the machine killed, its cables unplugged,
#                          run-time addresses (a VIP it held) forgotten
#   node.sh on   ENVFILE   power back: cables plugged in, the machine boots again
# ENVFILE (written by the testbed) sets NODE_NS, SWITCHES, CABLES, ADDRS (addr/prefix per
# link, space separated, same order as CABLES), STATE (the machine's disk) and HOSTNAME_.
# Also the BMC's chassis control: ipmi_sim runs "node.sh chassis ENVFILE 0x20 set power 0".
set -uo pipefail
action=$1 envfile=$2
# shellcheck disable=SC1090
. "$envfile"
read -r -a switches <<<"$SWITCHES"
read -r -a cables <<<"$CABLES"
read -r -a addrs <<<"$ADDRS"

init_pid() { cat "$STATE/init.pid" 2>/dev/null; }

boot() {
  local launcher child="" i
  for d in etc-corosync var-lib-corosync var-lib-pacemaker/cib var-lib-pacemaker/pengine var-lib-pacemaker/blackbox var-lib-pacemaker/cores var-log/cluster var-log/pacemaker; do mkdir -p "$STATE/$d"; done
  if id hacluster >/dev/null 2>&1; then
    chown -R hacluster:haclient "$STATE/var-lib-pacemaker" "$STATE/var-log/pacemaker" 2>/dev/null
    chmod 770 "$STATE/var-log/pacemaker"
  fi
  rm -f "$STATE/init.pid"
  # PID 1 of the machine mounts its private directories, then only reaps orphans.
  # The launch closes every inherited descriptor above 2: ipmi_sim reads its chassis control
  # program's output to the end, and a machine holding that pipe would hang the BMC.
  (
    for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done
    exec setsid ip netns exec "$NODE_NS" unshare --mount --propagation private --pid --uts --fork --mount-proc --kill-child=SIGKILL \
    sh -c '
      S=$1
      hostname "$2"
      mount -t tmpfs -o mode=755 ehrun /run
      mkdir -p /run/lock /run/crm /run/pacemaker /run/corosync /run/keepalived /run/haproxy /run/resource-agents /run/edgeha
      id hacluster >/dev/null 2>&1 && chown hacluster:haclient /run/crm /run/pacemaker
      mount -t tmpfs -o mode=1777 ehshm /dev/shm
      for pair in etc-corosync:/etc/corosync var-lib-corosync:/var/lib/corosync var-lib-pacemaker:/var/lib/pacemaker var-log:/var/log; do
        [ -d "${pair#*:}" ] && mount --bind "$S/${pair%%:*}" "${pair#*:}"
      done
      touch /run/eh-node-ready
      trap "exit 0" TERM
      while :; do sleep 3600 & wait $!; done' sh "$STATE" "$HOSTNAME_" </dev/null >>"$STATE/init.log" 2>&1
  ) &
  launcher=$!
  for ((i = 0; i < 250; i++)); do
    child=$(awk '{print $1}' "/proc/$launcher/task/$launcher/children" 2>/dev/null)
    if [[ -n $child ]] && nsenter -t "$child" -m test -e /run/eh-node-ready 2>/dev/null; then
      echo "$child" >"$STATE/init.pid"
      return 0
    fi
    sleep 0.02
  done
  echo "node.sh: $NODE_NS did not boot: $(tail -3 "$STATE/init.log")" >&2
  return 1
}

off() {
  local i pid
  # A power loss is one instant: the machine's PID 1 dies (SIGKILL to it ends its whole pid
  # namespace) and its BMC reads "off" at once, before the slower steps below (each `ip` is a
  # process to start, over 100 ms on a loaded machine). A BMC that still read "on" then made
  # the survivor keep its priority fencing delay (5 s failovers in bench/failover/peers.sh).
  pid=$(init_pid)
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  echo 0 >"$STATE/power"
  for i in "${!cables[@]}"; do ip -n "${switches[$i]}" link set "${cables[$i]}" down; done
  for pid in $(ip netns pids "$NODE_NS"); do kill -9 "$pid" 2>/dev/null; done
  rm -f "$STATE/init.pid"
  # Run-time addresses do not survive a power loss.
  for i in "${!addrs[@]}"; do
    ip -n "$NODE_NS" addr flush dev "eth$i"
    ip -n "$NODE_NS" addr add "${addrs[$i]}" dev "eth$i"
  done
}

on() {
  local i
  for ((i = 0; i < 100; i++)); do [[ -z $(ip netns pids "$NODE_NS") ]] && break; sleep 0.02; done
  for i in "${!cables[@]}"; do ip -n "${switches[$i]}" link set "${cables[$i]}" up; done
  echo 1 >"$STATE/power"
  boot
}

case "$action" in
  boot) boot ;;
  off) off ;;
  on) [[ $(cat "$STATE/power" 2>/dev/null) == 0 ]] && on; exit 0 ;;
  chassis)
    # ipmi_sim: chassis_control "node.sh chassis ENVFILE" gets "MC get|set name [value]...".
    shift 3
    op=$1; shift
    case "$op" in
      get)
        for p in "$@"; do
          case "$p" in power) echo "power:$(cat "$STATE/power" 2>/dev/null || echo 1)" ;; boot) echo "boot:default" ;; *) exit 1 ;; esac
        done ;;
      set)
        while (($# > 1)); do
          echo "$(date +%s.%N) $1 $2" >>"$STATE/bmc-events"
          case "$1:$2" in
            power:0 | shutdown:*) off </dev/null >/dev/null 2>&1 ;;
            power:1) [[ $(cat "$STATE/power" 2>/dev/null) == 0 ]] && on </dev/null >/dev/null 2>&1 ;;
          esac
          shift 2
        done ;;
      *) exit 1 ;;
    esac ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
exit 0
