#!/usr/bin/env bash
# Stop the single-node SLURM that deploy/slurm/start.sh started (see README.md beside this file).
#
#   deploy/slurm/stop.sh [STATE_DIR]         (default: $MWDISK_SLURM_DIR or /tmp/mwdisk-slurm)
#
# Cancels the jobs still in the queue, then stops slurmd, slurmctld and munged by the PIDs start.sh recorded
# in STATE_DIR (munged only if start.sh started it). Nothing is stopped by name. Logs stay in STATE_DIR.
# Safe to run when nothing is running, and twice.
set -uo pipefail

STATE=${1:-${MWDISK_SLURM_DIR:-/tmp/mwdisk-slurm}}
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
say() { echo "mwdisk-slurm: $*" >&2; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

if [ ! -d "$STATE" ]; then
    say "no state folder $STATE: nothing to stop"
    exit 0
fi
STATE=$(cd "$STATE" && pwd)
export SLURM_CONF="$STATE/slurm.conf"

# stop DAEMON: TERM the recorded PID (if it is still that program), KILL after 10 s
stop_pid() {
    local name=$1 file="$STATE/$1.pid" p
    p=$(pid_of "$file")
    if alive "$p" && [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$name" ]; then
        kill -TERM "$p" 2>/dev/null
        for _ in $(seq 50); do alive "$p" || break; sleep 0.2; done
        if alive "$p"; then
            say "$name (pid $p) ignored SIGTERM for 10 s: SIGKILL"
            kill -KILL "$p" 2>/dev/null
        fi
        say "stopped $name (pid $p)"
    elif [ -n "$p" ]; then
        say "$name (pid $p) was not running"
    fi
    rm -f "$file"
}

# Jobs first: their steps (slurmstepd and the dask workers under them) outlive slurmd otherwise.
ctld=$(pid_of "$STATE/slurmctld.pid")
if alive "$ctld" && [ -f "$SLURM_CONF" ]; then
    jobs=$(timeout 10 squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        say "cancelling jobs $jobs"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null
        for _ in $(seq 60); do
            [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.5
        done
    fi
fi

stop_pid slurmd
stop_pid slurmctld
stop_pid munged
