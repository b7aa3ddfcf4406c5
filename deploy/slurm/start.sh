#!/usr/bin/env bash
# Start a real single-node SLURM on this machine for mwdisk's own tests (see README.md beside this file).
#
#   deploy/slurm/start.sh [STATE_DIR]        (default: $MWDISK_SLURM_DIR or /tmp/mwdisk-slurm)
#
# Installs the Debian packages slurm-wlm and munge when they are missing, creates a munge key when there
# is none, runs munged as the munge user, writes STATE_DIR/slurm.conf (one node at 127.0.0.1 with this
# machine's CPUs and memory, partition `debug`), starts slurmctld and slurmd by hand, records their PIDs in
# STATE_DIR/*.pid and waits until the node is idle. Needs root (apt-get, munged as munge, slurmd).
#
# The only line on stdout is the one to evaluate:   export SLURM_CONF=STATE_DIR/slurm.conf
# (progress goes to stderr), so:   env_line=$(deploy/slurm/start.sh) && eval "$env_line"
#
# Running it again while the SLURM is up changes nothing and prints the same line (idempotent).
# deploy/slurm/stop.sh [STATE_DIR] stops everything it started, by PID.
set -euo pipefail

STATE=${1:-${MWDISK_SLURM_DIR:-/tmp/mwdisk-slurm}}
CTLD_PORT=${MWDISK_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${MWDISK_SLURMD_PORT:-6818}
WAIT_S=${MWDISK_SLURM_WAIT_S:-60}
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

say() { echo "mwdisk-slurm: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, munged as the munge user, slurmd); try: sudo $0 $*"
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
CONF="$STATE/slurm.conf"
export SLURM_CONF="$CONF"
t0=$(date +%s)

# ---------------------------------------------------------------- packages
need=()
command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sinfo >/dev/null \
    || need+=(slurm-wlm)
command -v munged >/dev/null && command -v munge >/dev/null || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]} (apt-get, noninteractive)"
    # No init system here: stop the packages' maintainer scripts from starting the services themselves.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    # apt's output goes to STATE/apt.log (shown only when it fails), so CI logs stay short
    apt-get update -qq >"$STATE/apt.log" 2>&1 || say "apt-get update failed; trying the install with the lists there are"
    apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$STATE/apt.log" 2>&1 \
        || { tail -n 40 "$STATE/apt.log" >&2; die "apt-get install ${need[*]} failed (log: $STATE/apt.log)"; }
    if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
    say "packages installed in $(($(date +%s) - t0)) s"
fi

# ---------------------------------------------------------------- already up?
ctld_pid=$(pid_of "$STATE/slurmctld.pid")
slurmd_pid=$(pid_of "$STATE/slurmd.pid")
NODE=$(hostname -s)
if alive "$ctld_pid" && alive "$slurmd_pid" && [ -f "$CONF" ]; then
    st=$(timeout 10 sinfo -h -N -n "$NODE" -o %T 2>/dev/null || true)
    case "$st" in
        idle | mixed | allocated | completing)
            say "already running (slurmctld $ctld_pid, slurmd $slurmd_pid, node $NODE $st)"
            echo "export SLURM_CONF=$CONF"
            exit 0 ;;
    esac
    say "daemons of an earlier start are up but the node is '${st:-unreachable}': restarting them"
fi
# anything half-started by an earlier run is ours: stop it by PID before starting again
for d in slurmd slurmctld; do
    p=$(pid_of "$STATE/$d.pid")
    if alive "$p" && [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$d" ]; then
        kill -TERM "$p" 2>/dev/null || true
        for _ in $(seq 50); do alive "$p" || break; sleep 0.2; done
        alive "$p" && kill -KILL "$p" 2>/dev/null || true
    fi
    rm -f "$STATE/$d.pid"
done

# ---------------------------------------------------------------- munge
munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    say "creating the munge key /etc/munge/munge.key"
    if command -v mungekey >/dev/null; then
        runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if munge_ok; then
    p=$(pid_of "$STATE/munged.pid")
    if alive "$p"; then say "munged already running (pid $p, ours)"
    else say "a munged not started by this script is running; using it (stop.sh will leave it)"; fi
else
    rm -f "$STATE/munged.pid"
    # --force: a socket left by a munged that was killed does not stop it
    runuser -u munge -- munged --force >"$STATE/munged.out" 2>&1 </dev/null \
        || { cat "$STATE/munged.out" >&2; die "munged did not start (log: /var/log/munge/munged.log)"; }
    for _ in $(seq 50); do munge_ok && break; sleep 0.2; done
    munge_ok || die "munged started but munge -n | unmunge fails (log: /var/log/munge/munged.log)"
    p=$(pid_of /run/munge/munged.pid)
    alive "$p" || die "munged runs but /run/munge/munged.pid does not name it"
    echo "$p" >"$STATE/munged.pid"
    say "munged started (pid $p)"
fi

# ---------------------------------------------------------------- slurm.conf
# This machine's CPUs and memory as slurmd itself sees them (slurmd -C); nproc and /proc/meminfo otherwise.
hw=$(slurmd -C 2>/dev/null | head -n1 || true)
field() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" <<<"$hw"; }
cpus=$(field CPUs); sockets=$(field SocketsPerBoard); cores=$(field CoresPerSocket)
threads=$(field ThreadsPerCore); mem_mb=$(field RealMemory)
[ -n "$cpus" ] || cpus=$(nproc)
[ -n "$mem_mb" ] || mem_mb=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024))
topo=""
[ -n "$sockets" ] && [ -n "$cores" ] && [ -n "$threads" ] \
    && topo="Sockets=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
mkdir -p "$STATE/ctld" "$STATE/spool"
cat >"$CONF" <<EOF
# Written by deploy/slurm/start.sh for mwdisk's tests: one node on loopback, no cgroups, no accounting.
ClusterName=mwdisk-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
# per CPU (not per core), so single-CPU jobs pack even where a core has two hardware threads
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2
# quick turnaround for tests: scancel escalates to SIGKILL after 5 s, finished jobs leave squeue soon
KillWait=5
MinJobAge=30
InactiveLimit=0
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus $topo RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
say "wrote $CONF (node $NODE: $cpus CPUs, $mem_mb MB)"

# ---------------------------------------------------------------- daemons
# Both daemonise themselves and write their PID files (SlurmctldPidFile, SlurmdPidFile); -c starts clean.
slurmctld -c -f "$CONF" >"$STATE/slurmctld.out" 2>&1 </dev/null \
    || { cat "$STATE/slurmctld.out" "$STATE/slurmctld.log" >&2 2>/dev/null; die "slurmctld did not start"; }
slurmd -c -f "$CONF" -N "$NODE" >"$STATE/slurmd.out" 2>&1 </dev/null \
    || { cat "$STATE/slurmd.out" "$STATE/slurmd.log" >&2 2>/dev/null; die "slurmd did not start"; }

st=""
for _ in $(seq $((WAIT_S * 2))); do
    st=$(timeout 5 sinfo -h -N -n "$NODE" -o %T 2>/dev/null || true)
    [ "$st" = idle ] && break
    sleep 0.5
done
if [ "$st" != idle ]; then
    sinfo -N -l >&2 || true
    sinfo -R >&2 || true
    tail -n 30 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
    die "node $NODE is '${st:-unreachable}', not idle, after ${WAIT_S} s (logs in $STATE)"
fi
say "slurmctld $(pid_of "$STATE/slurmctld.pid"), slurmd $(pid_of "$STATE/slurmd.pid"): node $NODE idle" \
    "in partition debug, $(($(date +%s) - t0)) s"
echo "export SLURM_CONF=$CONF"
