"""A real single-node Slurm cluster on this machine, for the fleet tests.

    with LocalSlurm() as slurm:          # munged, slurmctld, slurmd: started here
        subprocess.run(["sbatch", ...], env=slurm.env)
        slurm.wait_for_job(job_id)
    # every daemon it started is stopped, and every job it ran is gone, failure included

Debian's slurm-wlm and munge, installed when missing. munged runs as the munge
user with its own key and socket; slurm.conf (proctrack/linuxproc, task/none,
select/cons_tres, one node: this host with the CPUs and memory `slurmd -C`
reports) and all state live in a temporary directory, so nothing in /etc is
touched and a cluster the machine may already run is left alone.
"""
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "docker"))
from engine import install_packages  # noqa: E402

FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
                "DEADLINE", "PREEMPTED"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"local Slurm: {what} after {timeout_s} s")
        time.sleep(0.5)


class LocalSlurm:
    def __init__(self):
        self.dir = None
        self.daemons = []  # (name, Popen), in start order
        self.env = None

    def __enter__(self):
        install_packages(["slurm-wlm", "munge"])
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="allocmark-slurm-"))
        self.dir.chmod(0o755)
        try:
            self._start_munged()
            self._write_conf()
            self._start("slurmctld", ["slurmctld", "-D", "-f", str(self.conf)])
            self._start("slurmd", ["slurmd", "-D", "-f", str(self.conf)])
            wait_until(lambda: self.node_state() == "idle", 60, f"the node is not idle (see {self.dir}/*.log)")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start_munged(self):
        munge = pwd.getpwnam("munge")
        home = self.dir / "munge"
        home.mkdir()
        home.chmod(0o755)  # munged wants the socket directory searchable by all
        key = home / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        for path in (home, key):
            os.chown(path, munge.pw_uid, munge.pw_gid)
        self.munge_socket = home / "munge.socket"
        self._start("munged", ["munged", "--foreground", f"--socket={self.munge_socket}", f"--key-file={key}",
                               f"--pid-file={home}/munged.pid", f"--log-file={home}/munged.log",
                               f"--seed-file={home}/munged.seed"],
                    user=munge.pw_uid, group=munge.pw_gid, extra_groups=[])
        wait_until(self.munge_socket.exists, 30, f"munged made no socket (see {home}/munged.log)")

    def _write_conf(self):
        # `slurmd -C`: "NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105", then "UpTime=...".
        node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
        self.node_name = node.split()[0].split("=", 1)[1]
        d = self.dir
        (d / "state").mkdir()
        (d / "spool").mkdir()
        self.conf = d / "slurm.conf"
        self.conf.write_text(f"""\
ClusterName=allocmark-test
SlurmctldHost={self.node_name}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
{node} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes={self.node_name} Default=YES MaxTime=INFINITE State=UP
""")
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))

    def _start(self, name, argv, **kwargs):
        log = open(self.dir / f"{name}.out", "wb")
        self.daemons.append((name, subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                                    start_new_session=True, **kwargs)))
        time.sleep(0.2)
        if self.daemons[-1][1].poll() is not None:
            raise RuntimeError(f"local Slurm: {name} exited at once: {(self.dir / f'{name}.out').read_text()}")

    def run(self, *argv):
        """A Slurm client command against this cluster; its stdout."""
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, check=True).stdout

    def node_state(self):
        proc = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], env=self.env, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def job_state(self, job_id):
        """{field: value} of `scontrol show job` (the first record: an array's first task)."""
        out = self.run("scontrol", "show", "job", "-o", str(job_id)).splitlines()[0]
        return dict(item.split("=", 1) for item in out.split() if "=" in item)

    def wait_for_job(self, job_id, timeout_s):
        """Waits until the job ends; returns its final state. A dependency that can never be
        met (a failed array task under afterok) ends the wait too."""
        state = {}

        def ended():
            state.update(self.job_state(job_id))
            return state["JobState"] in FINAL_STATES or state.get("Reason") == "DependencyNeverSatisfied"

        wait_until(ended, timeout_s, f"job {job_id} did not end")
        return state

    def _jobs_left(self):
        proc = subprocess.run(["squeue", "-h", "-o", "%i"], env=self.env, capture_output=True, text=True)
        return proc.returncode == 0 and proc.stdout.strip() != ""

    def _stray_processes(self):
        """Processes of jobs this cluster ran (slurmstepd and its children carry its SLURM_CONF)."""
        mark = f"SLURM_CONF={self.conf}".encode()
        strays = []
        for proc in pathlib.Path("/proc").iterdir():
            if proc.name.isdigit() and proc.name != str(os.getpid()):
                try:
                    if mark in (proc / "environ").read_bytes().split(b"\0"):
                        strays.append(int(proc.name))
                except OSError:
                    pass
        return strays

    def __exit__(self, *exc):
        if self.env is not None and any(name == "slurmctld" for name, _ in self.daemons):
            subprocess.run(["scancel", "--full", "--user", "root"], env=self.env, capture_output=True)
            try:
                wait_until(lambda: not self._jobs_left(), 30, "jobs still queued")
            except TimeoutError:
                pass
        for name, process in reversed(self.daemons):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.daemons = []
        if self.env is not None:
            for pid in self._stray_processes():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if exc[0] is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"local Slurm: logs kept in {self.dir}", file=sys.stderr)
        return False
