#!/usr/bin/env python3
"""dockerlab guest agent: runs commands and shells for the host over a virtio-serial port.

The port is not the guest's network, so the terminal and the checks keep working whatever the
learner does to eth0, iptables, docker0 or dockerd. One port carries many channels; each frame is
  u32 length (of what follows) | u32 channel | u8 type | payload
and the types are those of engine/sandbox/frame.ts. Output is sent on credit: a channel stops being
read once HIGH_WATER bytes are unacknowledged by the host, so one `yes` cannot starve the others.
"""
import fcntl, json, os, pty, queue, selectors, signal, socket, struct, subprocess, sys, termios, threading, time

OPEN, STDIN, STDOUT, STDERR, RESIZE, SIGNAL, EXIT, ACK, CLOSE, HELLO, PING, PONG, ERROR = range(1, 14)
SHELL_TASKS = 2000  # tasks (processes and threads) all learner shells may have together
MEMORY_RESERVE = 320 << 20  # RAM the shells leave to the agent, dockerd and the mirrors
HIGH_WATER = 256 * 1024  # unacknowledged output bytes per channel before we stop reading it
CHUNK = 32 * 1024
PORT = sys.argv[1] if len(sys.argv) > 1 else "/dev/virtio-ports/org.dockerlab.agent"
# The terminal's shell, when an OPEN names no argv. DOCKERLAB_LOGIN_SHELL (a JSON argv) is for tests.
LOGIN_SHELL = json.loads(os.environ.get("DOCKERLAB_LOGIN_SHELL") or '["/bin/bash", "-l"]')
# Where the spare shell's state is written for the host's tools and tests: "PID HOSTNAME starting|ready".
SPARE_STATUS = os.environ.get("DOCKERLAB_SPARE_STATUS") or "/run/dockerlab-spare"
# A spare that died unused is made again after 10 s, then 20, 40, ... up to 10 min while each dies
# before its prompt (an `exit` in the learner's .bashrc), and at once after a terminal was opened.
# DOCKERLAB_SPARE_RETRY_S (the first wait) is for tests.
SPARE_RETRY_S = float(os.environ.get("DOCKERLAB_SPARE_RETRY_S") or 10)
SPARE_RETRY_MAX_S = 60 * SPARE_RETRY_S
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "USER": "root",
    "LOGNAME": "root",
}


class Limits:
    """Where the agent's children run (cgroup v2, in the agent's own cgroup, which systemd
    delegates to it). A fork bomb or a memory hog typed in a shell stays inside `shells`; the
    agent and the host's commands (checks, lesson setup) keep working:
      <own>/agent         the agent itself
      <own>/shells        every learner shell: at most SHELL_TASKS tasks, RAM minus MEMORY_RESERVE
      <own>/shells/s<N>   one shell and all it started, killed whole when its channel ends
      <own>/exec          the host's commands, unlimited
    Off (self.root is None) outside the VM's service (DOCKERLAB_SESSION_LIMITS unset), e.g. in tests."""

    def __init__(self, enabled):
        self.root = None
        self.count = 0
        self.dead = set()  # per-shell cgroups killed, to be removed once empty
        if not enabled:
            return
        try:
            with open("/proc/self/cgroup") as f:
                own = f.read().strip().split("::", 1)[1]  # cgroup v2: "0::/system.slice/x.service"
            root = "/sys/fs/cgroup" + own
            for name in ("agent", "shells", "exec"):
                os.makedirs(os.path.join(root, name), exist_ok=True)
            put(os.path.join(root, "agent", "cgroup.procs"), os.getpid())
            put(os.path.join(root, "cgroup.subtree_control"), "+pids +memory +cpu")
            with open("/proc/meminfo") as f:
                total = int(f.readline().split()[1]) * 1024  # MemTotal: N kB
            shells = os.path.join(root, "shells")
            put(os.path.join(shells, "pids.max"), SHELL_TASKS)
            put(os.path.join(shells, "memory.max"), max(256 << 20, total - MEMORY_RESERVE))
            put(os.path.join(root, "agent", "cpu.weight"), 1000)  # answer the host even under load
            for old in os.listdir(shells):  # left by an agent that was restarted
                if os.path.isdir(os.path.join(shells, old)):
                    self.kill(os.path.join(shells, old))
            self.root = root
        except (OSError, IndexError, ValueError) as e:
            print(f"dockerlab agent: no limits for shells: {e}", file=sys.stderr, flush=True)

    def new_shell(self):
        """A fresh cgroup for one shell, or None when limits are off."""
        if self.root is None:
            return None
        self.count += 1
        path = os.path.join(self.root, "shells", f"s{self.count}")
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except OSError:
            return None
        return path

    def exec_group(self):
        return None if self.root is None else os.path.join(self.root, "exec")

    def kill(self, path):
        try:
            put(os.path.join(path, "cgroup.kill"), 1)
        except OSError:
            pass
        self.dead.add(path)
        self.tidy()

    def tidy(self):
        for path in list(self.dead):
            try:
                os.rmdir(path)
                self.dead.discard(path)
            except FileNotFoundError:
                self.dead.discard(path)
            except OSError:
                pass  # its last tasks are still exiting; try again on the next pass


def put(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def child_setup(cgroup, controlling_tty):
    """Runs in the child before exec: a child must not inherit the agent's OOM immunity (a memory
    hog would else make the kernel kill dockerd or panic), and goes into its cgroup."""

    def setup():
        if controlling_tty:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        try:
            put("/proc/self/oom_score_adj", 0)
            if cgroup:
                put(os.path.join(cgroup, "cgroup.procs"), os.getpid())
        except OSError:
            pass

    return setup


class Channel:
    def __init__(self, cid, proc, outputs, stdin_fd, master, cgroup=None):
        self.cid, self.proc, self.stdin_fd, self.master = cid, proc, stdin_fd, master
        self.cgroup = cgroup  # the shell's own cgroup (limits on), killed whole when the channel ends
        self.outputs = outputs  # fd -> frame type
        self.unacked = 0
        self.paused = False
        self.deadline = None
        self.timed_out = False

    def close(self):
        # Each descriptor is closed once, by its owner: a second close could hit a number that
        # another channel's new pipe has just been given, and cut that command's output.
        if self.master is not None:
            os.close(self.master)
        if isinstance(self.proc, Connection):
            self.proc.sock.close()
            return
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def signal(self, sig):
        """Signals the command's process group; a connection ends at any signal."""
        if isinstance(self.proc, Connection):
            self.proc.end(-sig)
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def end_input(self):
        """The host's stdin ended (no effect on a pty, where Ctrl-D is a byte like any other)."""
        if self.master is not None or self.stdin_fd is None:
            return
        if isinstance(self.proc, Connection):
            self.proc.end_input()
        else:
            self.proc.stdin.close()  # through its file object, which would otherwise close it again later
        self.stdin_fd = None


class Connection:
    """A unix socket in the guest in place of a command (an OPEN that names `socket`): the host's
    stdin is written to it, what comes back is the command's stdout, and it ends with status 0 when
    the other side closes. It asks a resident service (the inspector) without starting a process:
    bash and socat cost ~110 ms per check under TCG. Stands in for a Popen where a Channel wants one."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.setblocking(False)
            # Nobody listening, or a backlog that is full: refused now, never waited for.
            self.sock.connect(path)
        except OSError as e:
            self.sock.close()
            raise OSError(e.errno, f"cannot connect to {path}: {e.strerror or e}") from None
        except BaseException:
            self.sock.close()
            raise
        self.code = None

    def poll(self):
        return self.code

    def end(self, code):
        """Ends it (the other side closed: 0; the host's signal or deadline: minus the signal)."""
        if self.code is None:
            self.code = code
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # its reads now end, so the channel drains and exits
        except OSError:
            pass

    def end_input(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Spare:
    """A login shell started before anyone asked for one: a terminal's OPEN takes it, prompt and
    all, instead of waiting for bash to start and read its profile (~150 ms under TCG). It is made
    only while no terminal is open, so it read the history the last one wrote, and dropped when the
    VM's name changed since (identity.sh: bash keeps the name it started with for its prompt)."""

    def __init__(self, limits):
        self.master, slave = pty.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.cgroup = limits.new_shell()
        self.hostname = os.uname().nodename
        self.output = b""
        self.ready = False
        env = dict(BASE_ENV, TERM="xterm-256color")
        try:
            self.proc = subprocess.Popen(
                LOGIN_SHELL, stdin=slave, stdout=slave, stderr=slave, env=env, cwd="/root" if os.path.isdir("/root") else "/",
                start_new_session=True, preexec_fn=child_setup(self.cgroup, True),
            )
        except Exception:
            os.close(self.master)
            if self.cgroup:
                limits.kill(self.cgroup)
            raise
        finally:
            os.close(slave)
        os.set_blocking(self.master, False)
        self.status("starting")

    def read(self):
        """Keeps what the shell printed until a terminal takes it; False once it is gone or says too much."""
        try:
            data = os.read(self.master, CHUNK)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        self.output += data
        if not self.ready and b"\x1b]133;B" in self.output:
            self.ready = True
            self.status("ready")
        return bool(data) and len(self.output) <= HIGH_WATER

    def status(self, state):
        try:
            with open(SPARE_STATUS + ".tmp", "w") as f:
                f.write(f"{self.proc.pid} {self.hostname} {state}\n")
            os.replace(SPARE_STATUS + ".tmp", SPARE_STATUS)
        except OSError:
            pass

    def usable(self):
        return self.proc.poll() is None and self.hostname == os.uname().nodename

    def discard(self, limits):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.master)
        if self.cgroup:
            limits.kill(self.cgroup)
        forget_status()


def forget_status():
    try:
        os.unlink(SPARE_STATUS)
    except OSError:
        pass


class Agent:
    def __init__(self, fd):
        self.fd = fd
        self.limits = Limits(os.environ.get("DOCKERLAB_SESSION_LIMITS") == "1")
        self.sel = selectors.DefaultSelector()
        self.channels = {}
        self.out = queue.Queue()
        self.lock = threading.Lock()
        threading.Thread(target=self.writer, daemon=True).start()
        rfd, self.wake = os.pipe()
        self.sel.register(rfd, selectors.EVENT_READ, ("wake", None))
        self.wake_r = rfd
        self.sel.register(fd, selectors.EVENT_READ, ("port", None))
        self.buf = b""
        self.spare = None
        self.spare_after = 0.0  # no new spare before this (monotonic), after one died unused
        self.spare_wait = SPARE_RETRY_S  # how long the next wait is
        signal.signal(signal.SIGCHLD, lambda *_: os.write(self.wake, b"c"))
        forget_status()

    def send(self, cid, kind, payload=b""):
        self.out.put(struct.pack(">IIB", len(payload) + 5, cid, kind) + payload)

    def writer(self):
        while True:
            data = self.out.get()
            while data:
                try:
                    data = data[os.write(self.fd, data):]
                except BlockingIOError:
                    time.sleep(0.005)
                except OSError:
                    time.sleep(0.2)  # host not connected; keep the frame until it is

    def run(self):
        self.send(0, HELLO, json.dumps({"version": 1, "boot": boot_id()}).encode())
        while True:
            self.keep_spare()
            timeout = self.next_deadline()
            for key, _ in self.sel.select(timeout):
                tag, ch = key.data
                if tag == "port":
                    self.read_port()
                elif tag == "wake":
                    os.read(self.wake_r, 4096)
                elif tag == "spare":
                    if self.spare and not self.spare.read():
                        self.drop_spare(retry_later=True)
                else:
                    self.read_output(ch, key.fd)
            self.reap()

    def next_deadline(self):
        deadlines = [c.deadline for c in self.channels.values() if c.deadline]
        if self.spare is None and self.spare_after > time.monotonic():
            deadlines.append(self.spare_after)
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def keep_spare(self):
        """A spare shell while no terminal is open; a new one at once when the VM's name changed."""
        if self.spare and not self.spare.usable():
            self.drop_spare(retry_later=self.spare.hostname == os.uname().nodename)
        if self.spare or time.monotonic() < self.spare_after:
            return
        if any(ch.master is not None for ch in self.channels.values()):
            return
        self.spare_after = 0.0
        try:
            self.spare = Spare(self.limits)
        except Exception as e:  # noqa: BLE001 -- no spare: terminals start their own shell
            print(f"dockerlab agent: no spare shell: {e}", file=sys.stderr, flush=True)
            self.spare_after = time.monotonic() + self.spare_wait
            return
        self.sel.register(self.spare.master, selectors.EVENT_READ, ("spare", None))

    def drop_spare(self, retry_later=False):
        self.sel.unregister(self.spare.master)
        self.spare.discard(self.limits)
        if retry_later:
            if self.spare.ready:  # it worked once: whatever ended it was not its start
                self.spare_wait = SPARE_RETRY_S
            self.spare_after = time.monotonic() + self.spare_wait
            self.spare_wait = min(self.spare_wait * 2, SPARE_RETRY_MAX_S)
        self.spare = None

    def take_spare(self, cid, req):
        """The spare as channel `cid`'s terminal, sized as asked, with what it printed so far."""
        spare, self.spare = self.spare, None
        self.sel.unregister(spare.master)
        forget_status()
        # Setting a new size signals SIGWINCH to the shell, which redraws for it.
        fcntl.ioctl(spare.master, termios.TIOCSWINSZ, struct.pack("HHHH", req.get("rows", 24), req.get("cols", 80), 0, 0))
        ch = Channel(cid, spare.proc, {spare.master: STDOUT}, spare.master, spare.master, spare.cgroup)
        if spare.output:
            self.send(cid, STDOUT, spare.output)
            ch.unacked += len(spare.output)
        return ch

    def read_port(self):
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        if not data:  # host side closed; virtio-serial reports EOF until it reconnects
            time.sleep(0.1)
            return
        self.buf += data
        while len(self.buf) >= 4:
            (length,) = struct.unpack(">I", self.buf[:4])
            if len(self.buf) < 4 + length:
                break
            cid, kind = struct.unpack(">IB", self.buf[4:9])
            payload = self.buf[9 : 4 + length]
            self.buf = self.buf[4 + length :]
            try:
                self.handle(cid, kind, payload)
            except Exception as e:  # a bad request must not take the agent down
                self.send(cid, ERROR, json.dumps({"message": f"{type(e).__name__}: {e}"}).encode())

    def handle(self, cid, kind, payload):
        ch = self.channels.get(cid)
        if kind == PING:
            self.send(cid, PONG, json.dumps({"boot": boot_id(), "time": time.time()}).encode())
        elif kind == OPEN:
            self.open(cid, json.loads(payload))
        elif ch is None:
            return
        elif kind == STDIN:
            if ch.stdin_fd is None:
                return
            if payload:
                write_all(ch.stdin_fd, payload)
            else:
                ch.end_input()
        elif kind == RESIZE and ch.master is not None:
            size = json.loads(payload)
            fcntl.ioctl(ch.master, termios.TIOCSWINSZ, struct.pack("HHHH", size["rows"], size["cols"], 0, 0))
            os.killpg(ch.proc.pid, signal.SIGWINCH)
        elif kind == SIGNAL:
            ch.signal(json.loads(payload)["signal"])
        elif kind == ACK:
            ch.unacked -= json.loads(payload)["bytes"]
            if ch.paused and ch.unacked < HIGH_WATER // 2:
                ch.paused = False
                for fd, _ in ch.outputs.items():
                    self.sel.register(fd, selectors.EVENT_READ, ("out", ch))
        elif kind == CLOSE:  # the host is gone: kill it and forget its output
            ch.signal(signal.SIGKILL)
            self.end_cgroup(ch)
            for fd in list(ch.outputs):
                if not ch.paused:
                    self.sel.unregister(fd)
            ch.outputs.clear()

    def open(self, cid, req):
        env = dict(BASE_ENV)
        env.update(req.get("env") or {})
        argv = req.get("argv") or LOGIN_SHELL
        cwd = req.get("cwd") or "/root"
        plain_terminal = req.get("pty") and not (req.get("argv") or req.get("env") or req.get("cwd"))
        if plain_terminal:  # someone is here, maybe having mended their .bashrc: a spare at once after
            self.spare_after, self.spare_wait = 0.0, SPARE_RETRY_S
        if req.get("socket"):
            conn = Connection(req["socket"])
            ch = Channel(cid, conn, {conn.sock.fileno(): STDOUT}, conn.sock.fileno(), None)
        elif plain_terminal and self.spare and self.spare.usable():
            ch = self.take_spare(cid, req)
        elif req.get("pty"):
            master, slave = pty.openpty()
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", req.get("rows", 24), req.get("cols", 80), 0, 0))
            env.setdefault("TERM", "xterm-256color")
            cgroup = self.limits.new_shell()
            try:
                proc = subprocess.Popen(
                    argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                    start_new_session=True, preexec_fn=child_setup(cgroup, True),
                )
            except Exception:
                os.close(master)
                if cgroup:
                    self.limits.kill(cgroup)
                raise
            finally:
                os.close(slave)
            os.set_blocking(master, False)
            ch = Channel(cid, proc, {master: STDOUT}, master, master, cgroup)
        else:
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, cwd=cwd, start_new_session=True,
                preexec_fn=child_setup(self.limits.exec_group(), False),
            )
            outputs = {proc.stdout.fileno(): STDOUT, proc.stderr.fileno(): STDERR}
            for fd in outputs:
                os.set_blocking(fd, False)
            ch = Channel(cid, proc, outputs, proc.stdin.fileno(), None)
        if req.get("timeoutMs"):
            ch.deadline = time.monotonic() + req["timeoutMs"] / 1000
        self.channels[cid] = ch
        for fd in ch.outputs:
            self.sel.register(fd, selectors.EVENT_READ, ("out", ch))

    def read_output(self, ch, fd):
        # select() hands back one batch of ready descriptors; handling an earlier one (a CLOSE or
        # a pause) may have unregistered this one since. Reading it then would send output the
        # host has no credit for, or, after CLOSE, raise KeyError and end the agent. (From D.)
        if fd not in ch.outputs or ch.paused:
            return
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: the pty's last writer is gone
            data = b""
        if not data:
            self.sel.unregister(fd)
            del ch.outputs[fd]
            if isinstance(ch.proc, Connection):
                ch.proc.end(0)
            return
        self.send(ch.cid, ch.outputs[fd], data)
        ch.unacked += len(data)
        if ch.unacked >= HIGH_WATER and not ch.paused:
            ch.paused = True
            for out_fd in ch.outputs:
                self.sel.unregister(out_fd)

    def reap(self):
        now = time.monotonic()
        for cid, ch in list(self.channels.items()):
            if ch.deadline and now >= ch.deadline and ch.proc.poll() is None:
                ch.timed_out = True
                ch.deadline = None
                ch.signal(signal.SIGKILL)
            code = ch.proc.poll()
            if code is not None and ch.outputs:
                # The shell is gone but what it left in the background still holds its terminal
                # (a fork bomb, say): end them all, so the terminal closes and the exit is reported.
                self.end_cgroup(ch)
            # Report the exit only after every output byte went out (a pty ends with EIO once
            # the last process holding it is gone), so the host never loses a command's tail.
            if code is None or ch.outputs:
                continue
            ch.close()
            del self.channels[cid]
            status = {"code": code if code >= 0 else 128 - code, "signal": -code if code < 0 else None, "timedOut": ch.timed_out}
            self.send(cid, EXIT, json.dumps(status).encode())
            self.end_cgroup(ch)
        self.limits.tidy()

    def end_cgroup(self, ch):
        if ch.cgroup:
            self.limits.kill(ch.cgroup)
            ch.cgroup = None


def write_all(fd, data):
    while data:
        try:
            data = data[os.write(fd, data):]
        except BlockingIOError:
            time.sleep(0.002)


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def main():
    while not os.path.exists(PORT):
        time.sleep(0.1)
    fd = os.open(PORT, os.O_RDWR | os.O_NONBLOCK)
    Agent(fd).run()


if __name__ == "__main__":
    main()
