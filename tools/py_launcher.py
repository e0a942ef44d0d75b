"""The python tool's intermediate process: ``python -I -S py_launcher.py CONFIG.json`` (standard library only).

The tool starts this script with a scrubbed environment, so nothing of the host's environment reaches it or
anything below it. It then:

1. becomes a child subreaper, so a process the snippet detaches (``setsid``, double fork) is re-parented
   here and not to init;
2. where the kernel allows it, enters new PID and mount namespaces (a user namespace too when not root) and
   mounts a fresh ``/proc``: the snippet sees only its own processes, so it can neither read another
   process's ``/proc/PID/environ`` nor signal the tool's process;
3. where a pids cgroup is writable, puts the snippet in a cgroup of its own capped at ``max_procs``
   processes (RLIMIT_NPROC is set too; the kernel does not apply it to uid 0);
4. forks the snippet's runner, which drops every capability (bounding set included, no_new_privs) before
   ``exec``: inside the namespaces it cannot unmount ``/proc`` or undo the limits;
5. waits until the deadline, then kills the whole tree: the namespace's init (all of the namespace dies with
   it), the cgroup's members, and every process re-parented here; and writes ``{"returncode", "timed_out",
   "isolation"}`` to the result file.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import time

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 24, 36, 38, 47
PIDS_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")

libc = ctypes.CDLL(None, use_errno=True)


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _namespaces() -> bool:
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWPID | (CLONE_NEWUSER if uid != 0 else 0)  # the mount namespace is the child's own
    if libc.unshare(flags) != 0:
        return False
    if uid != 0:
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError:
            return False
    return True


def _cgroup(max_procs: int) -> str | None:
    name = f"toolagent-py-{os.getpid()}-{time.monotonic_ns()}"
    for root in PIDS_ROOTS:
        try:  # cgroup v1: a pids hierarchy; v2: a unified hierarchy whose subtrees may use the pids controller
            usable = os.path.isdir(root) if root.endswith("pids") else "pids" in open(
                os.path.join(root, "cgroup.subtree_control")).read().split()
        except OSError:
            usable = False
        if not usable:
            continue
        path = os.path.join(root, name)
        try:
            os.mkdir(path)
            _write(os.path.join(path, "pids.max"), str(max_procs))
            return path
        except OSError:
            try:
                os.rmdir(path)
            except OSError:
                pass
    return None


def _drop_capabilities() -> None:
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()
    libc.capset(header, data)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _child(cfg: dict, isolated: bool, gate: int) -> None:
    os.read(gate, 1)  # wait until the parent has put this process in its cgroup
    if isolated:  # never run the snippet with the host's /proc in a half-made namespace
        if libc.unshare(CLONE_NEWNS) != 0 or libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            os._exit(126)
        if libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None) != 0:
            os._exit(126)
    import resource

    for name, value in cfg["limits"].items():
        limit = getattr(resource, name)
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value))
    _drop_capabilities()
    os.chdir(cfg["workdir"])
    os.execve(sys.executable, [sys.executable, "-I", cfg["runner"], cfg["runner_config"]], cfg["env"])


def _children() -> list[int]:
    """Live processes whose parent is this one (orphans land here: this process is a subreaper)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me and fields[0] != "Z":
                found.append(int(entry))
    return found


def _kill_tree(cgroup: str | None) -> None:
    for _ in range(200):
        members: list[int] = []
        if cgroup:
            try:
                with open(os.path.join(cgroup, "cgroup.procs")) as handle:
                    members = [int(p) for p in handle.read().split()]
            except OSError:
                members = []
        victims = set(members) | set(_children())
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)
        _reap()
    _reap()
    if cgroup:
        try:
            os.rmdir(cgroup)
        except OSError:
            pass


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> int:
    with open(sys.argv[1]) as handle:
        cfg = json.load(handle)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    isolated = _namespaces()
    cgroup = _cgroup(int(cfg["max_procs"]))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(write_end)
        try:
            _child(cfg, isolated, read_end)
        finally:
            os._exit(127)
    os.close(read_end)
    if cgroup:
        try:
            _write(os.path.join(cgroup, "cgroup.procs"), str(pid))
        except OSError:
            cgroup = None
    os.write(write_end, b"x")
    os.close(write_end)
    deadline = time.monotonic() + float(cfg["timeout_s"])
    status, timed_out = None, False
    while status is None:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
        elif time.monotonic() >= deadline:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            status = os.waitpid(pid, 0)[1]
        else:
            time.sleep(0.01)
    _kill_tree(cgroup)
    returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    isolation = [*(["pid+mount namespaces"] if isolated else []), *(["pids cgroup"] if cgroup else [])]
    _write(cfg["result"], json.dumps({"returncode": returncode, "timed_out": timed_out,
                                      "isolation": ", ".join(isolation) or "process tree only"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
