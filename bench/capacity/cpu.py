"""CPU time over a window, in % of one core: a server process, its clients (summed), and the rest
of the machine (everything else that ran meanwhile: other users of a shared machine, the kernel's
network work, this driver). From /proc, whose PID namespace must be the processes' own."""

import os

TICKS = os.sysconf("SC_CLK_TCK")


def process_ticks(pid):
    """User + system time of pid (all its threads) in clock ticks; 0 once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])   # utime, stime: fields 14 and 15 of proc(5)


def machine_ticks():
    """Busy time of all CPUs together, in clock ticks."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle, iowait = values[3], values[4]
    return sum(values[:8]) - idle - iowait   # guest time is already in user


class CpuClock:
    def __init__(self, server_pid, client_pids):
        self.pids = [server_pid] + list(client_pids)
        self.start = self.sample()
        self.start_time = os.times().elapsed

    def sample(self):
        return [process_ticks(p) for p in self.pids] + [machine_ticks()]

    def read(self):
        """{"server", "clients", "others"} since this clock started, % of one core. A client that
        ended meanwhile counts for nothing."""
        end = self.sample()
        seconds = os.times().elapsed - self.start_time
        used = [max(0, b - a) / TICKS / seconds * 100 for a, b in zip(self.start, end)]
        server, clients, machine = used[0], sum(used[1:-1]), used[-1]
        return {"server": server, "clients": clients,
                "others": max(0.0, machine - server - clients)}
