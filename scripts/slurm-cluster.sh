#!/usr/bin/env bash
# A single-node Slurm cluster on 127.0.0.1, to run workflow/ through real sbatch/srun:
#   scripts/slurm-cluster.sh start    install slurm (Debian's 22.05) and munge when missing,
#                                     start munged, slurmctld, slurmd; wait for the node idle;
#                                     print `export SLURM_CONF=...` for the caller to eval
#   scripts/slurm-cluster.sh stop     cancel its jobs, stop exactly the daemons it started,
#                                     remove what it created; the machine is as before
#   scripts/slurm-cluster.sh status   exit 0 when running (sinfo)
# No accounting database: AccountingStorageType=accounting_storage/none, so `sacct` fails
# here and Snakemake's Slurm plugin must ask `squeue` (slurm-status-command: squeue in
# workflow/profiles/slurm; MinJobAge=300 keeps finished jobs visible to squeue meanwhile).
# Everything the daemons write (config, state, spool, logs, pid files, munge's socket and
# seed) lives in $BIGWIG_NPY_SLURM_DIR (default /tmp/bigwig-npy-slurm); the only file
# outside it is /etc/slurm/slurm.conf, a symlink to ours made only when absent (so plain
# sinfo/sbatch find the cluster), removed by stop. Idempotent: start on a running cluster
# and stop on a stopped one do nothing. Needs root (SlurmUser=root; munged runs as munge).
set -euo pipefail
dir=${BIGWIG_NPY_SLURM_DIR:-/tmp/bigwig-npy-slurm}
conf="$dir/slurm.conf"
started="$dir/started" # one line per thing we started or created: what, then how to undo
partition=main

log() { echo "slurm-cluster: $*" >&2; }

# "pid starttime" of a live process: the start time tells a reused pid from ours.
proc_id() {
  local pid=$1 stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # Field 22 (starttime), counted after the ")" that ends the command name.
  echo "$pid $(echo "${stat##*) }" | awk '{print $20}')"
}

# Is the process recorded as "pid starttime" still the one we started?
alive() { [ "$(proc_id "$1" 2>/dev/null || true)" = "$1 $2" ]; }

# Wait (bounded) for a daemon's pid file, then record the process under a name.
record_daemon() {
  local name=$1 pidfile=$2 pid id
  for _ in $(seq 50); do
    if [ -s "$pidfile" ]; then
      pid=$(tr -dc 0-9 <"$pidfile")
      if id=$(proc_id "$pid"); then
        echo "daemon $name $id" >>"$started"
        return 0
      fi
    fi
    sleep 0.2
  done
  log "$name did not start; its log:"
  tail -n 20 "$dir/$name.log" >&2 || true
  return 1
}

install_packages() {
  local need=()
  command -v slurmctld >/dev/null || need+=(slurmctld)
  command -v slurmd >/dev/null || need+=(slurmd)
  command -v sbatch >/dev/null || need+=(slurm-client)
  command -v munged >/dev/null || need+=(munge)
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing ${need[*]} (Debian's Slurm 22.05)"
  # Their postinst scripts would start the system services: a policy-rc.d saying no
  # keeps the install from starting anything (kept when the machine already has one).
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${need[@]}" >/dev/null; } || rc=$?
  [ -n "$made_policy" ] && rm -f "$policy"
  return $rc
}

write_conf() {
  local node cpus mem_mb
  node=$(hostname -s)
  cpus=$(nproc)
  # Slightly under MemTotal: a RealMemory above what slurmd measures drains the node.
  mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.95)}' /proc/meminfo)
  cat >"$conf" <<EOF
# Single-node test cluster written by scripts/slurm-cluster.sh; removed by its stop.
ClusterName=bigwignpy
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# munged runs with its socket in our dir, beside any system munged, not in /run/munge.
AuthInfo=socket=$dir/munge/munge.socket.2
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
# No cgroups in containers: plain process tracking, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# Cores and memory are both consumable, so --cpus-per-task and --mem schedule as on a real
# cluster; jobs that ask no memory get 1 GB a CPU rather than the whole node.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
# No database: sacct has nothing to read, squeue reports finished jobs for MinJobAge seconds.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
MpiDefault=none
# Quiet a startup error: no mail is sent from here.
MailProg=/bin/true
ReturnToService=2
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

running() { [ -s "$started" ] && SLURM_CONF=$conf sinfo -h >/dev/null 2>&1; }

start() {
  if running; then
    log "already running ($dir)"
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  [ -e "$started" ] && stop # a half-started cluster: undo it first
  if [ "$(id -u)" -ne 0 ]; then log "needs root"; exit 1; fi
  install_packages
  if (exec 3<>/dev/tcp/127.0.0.1/6817) 2>/dev/null; then
    log "port 6817 is taken: another slurmctld runs on this machine"
    exit 1
  fi
  # On failure part way, undo what was started so far.
  start_ok=
  trap '[ -n "$start_ok" ] || { log "start failed; stopping what it started"; stop; }' EXIT
  mkdir -p "$dir"
  chmod 755 "$dir"
  : >"$started"
  # munged runs as munge and wants its socket's dir owned by it, writable by no one else
  # and open to all (clients connect there).
  install -d -o munge -g munge -m 755 "$dir/munge"
  install -d -m 700 "$dir/ctld" "$dir/spool"
  write_conf
  if [ ! -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
    mkdir -p /etc/slurm
    ln -s "$conf" /etc/slurm/slurm.conf
    echo "link /etc/slurm/slurm.conf" >>"$started"
  fi
  if [ ! -s /etc/munge/munge.key ]; then
    # Debian's munge package makes one at install; make it when someone removed it.
    install -d -o munge -g munge -m 700 /etc/munge
    runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
    echo "file /etc/munge/munge.key" >>"$started"
  fi
  runuser -u munge -- munged --socket="$dir/munge/munge.socket.2" \
    --key-file=/etc/munge/munge.key --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  record_daemon munged "$dir/munge/munged.pid"
  # -c: a clean start, no jobs or node state of an earlier run.
  SLURM_CONF=$conf slurmctld -c
  record_daemon slurmctld "$dir/slurmctld.pid"
  SLURM_CONF=$conf slurmd
  record_daemon slurmd "$dir/slurmd.pid"
  local state=
  for _ in $(seq 60); do
    state=$(SLURM_CONF=$conf sinfo -h -N -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 1
  done
  if [ "$state" != idle ]; then
    log "the node is '$state', not idle, after 60 s; slurmctld's log:"
    tail -n 20 "$dir/slurmctld.log" >&2 || true
    false
  fi
  start_ok=1
  log "running: node $(hostname -s) idle, partition $partition ($dir)"
  echo "export SLURM_CONF=$conf"
}

stop() {
  [ -e "$started" ] || { log "not running"; return 0; }
  # Jobs first, while slurmctld runs: their slurmstepd processes are ours too.
  if SLURM_CONF=$conf squeue -h >/dev/null 2>&1; then
    SLURM_CONF=$conf scancel --partition "$partition" 2>/dev/null || true
    for _ in $(seq 30); do
      [ -z "$(SLURM_CONF=$conf squeue -h -t running,completing 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  # Daemons in reverse order of start, each only if it is still the process we started.
  local kind name pid st rest
  tac "$started" | while read -r kind name pid st rest; do
    case $kind in
      daemon)
        if alive "$pid" "$st"; then
          kill -TERM "$pid" 2>/dev/null || true
          for _ in $(seq 50); do alive "$pid" "$st" || break; sleep 0.2; done
          if alive "$pid" "$st"; then
            log "$name ($pid) ignored TERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
          fi
        fi
        ;;
      link) # unless someone put their own there since
        if [ "$(readlink "$name")" = "$conf" ]; then rm -f "$name"; fi
        ;;
      file)
        rm -f "$name"
        ;;
    esac
  done
  # Step daemons (slurmstepd) outlive slurmd; each listens on a socket in our spool dir.
  local f busy
  for _ in $(seq 30); do
    busy=
    for f in "$dir"/spool/*; do [ -S "$f" ] && busy=1; done
    [ -z "$busy" ] && break
    sleep 1
  done
  rm -rf "$dir"
  log "stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) running ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
