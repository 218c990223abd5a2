"""Runs a command as a whole process, timed from outside, and reports as JSON (bench/run.mjs).

    python measure.py OUT.json CMD [ARGS...]

Both sides of a comparison go through here the same way: `dist/cli/minibatch run …` (a shell
script that execs Node) and `python pool_runner.py …` (the Pool's parent), each started as a user
starts it, with nothing preloaded into it. The command's stdout and stderr are inherited.

OUT.json gets:
- wall: seconds from before the fork to the moment the command has exited (start-up, listing,
  the work and the exit included; this wrapper's own start-up is not);
- rc: the exit code;
- ownCpu: user + system CPU seconds of the command's own process, all its threads (Node with V8's
  and libuv's threads, or the Pool's parent with its handler threads), read from /proc/PID/stat
  while the exited process is not yet reaped (waitid WNOWAIT);
- childrenCpu: the same of every descendant it waited for (the Python workers on either side);
- user, sys: the whole tree, from wait4 (microseconds, not clock ticks);
- maxrssKb: the largest peak RSS in the tree (the orchestrator's, in practice: see bench/peak.mjs
  for the orchestrator's own).
"""
import json
import os
import subprocess
import sys
import time

TICK = os.sysconf('SC_CLK_TCK')


def exited_cpu(pid):
    """(own, children) CPU seconds of an exited process that has not been reaped yet."""
    with open(f'/proc/{pid}/stat') as f:
        stat = f.read()
    # The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    fields = stat[stat.rindex(')') + 2:].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])  # fields 14-17 of proc(5)
    return (utime + stime) / TICK, (cutime + cstime) / TICK


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    wall = time.perf_counter() - t0
    own, children = exited_cpu(proc.pid)
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    with open(out, 'w') as f:
        json.dump({'wall': wall, 'rc': proc.returncode, 'ownCpu': own, 'childrenCpu': children,
                   'user': ru.ru_utime, 'sys': ru.ru_stime, 'maxrssKb': ru.ru_maxrss}, f)


if __name__ == '__main__':
    main()
