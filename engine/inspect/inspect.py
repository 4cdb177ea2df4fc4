"""dockerlab state inspector: prints one JSON document describing a sandbox host's kernel and
Docker state. Sent as stdin to `python3 -` in one exec round trip (see inspect.ts).

Speed matters (QEMU TCG, every process spawn costs tens of ms), so:
- namespaces are found by scanning /proc once (inode of /proc/PID/ns/net), not with lsns;
- each network namespace costs ONE `ip -b -` process (links+addresses and routes in a batch),
  all started at once and read afterwards;
- Docker is read through its API on the unix socket with a bare HTTP/1.0 client, a few requests in
  parallel, never the docker CLI (a Go binary that takes ~0.5 s to start under TCG);
- only cheap modules are imported, and inspect.ts runs `python3 -S` (no site): under TCG, site
  costs ~200 ms and http.client/concurrent.futures/ctypes another ~500 ms of imports.
A failing part is recorded in `errors` and the rest still works (e.g. dockerd stopped).
"""
import json, os, re, socket, subprocess, sys, threading, time

T0 = time.monotonic()
ERRORS = []
# Parts a caller may skip because its conditions do not need them: `info` (GET /info takes
# ~0.8 s under TCG), `images` (list + inspect of each), `history` (of each image).
SKIP = set(sys.argv[sys.argv.index("--skip") + 1].split(",")) if "--skip" in sys.argv else set()
NS_TYPES = ("net", "uts", "pid", "mnt", "ipc", "user", "cgroup")
SYSCTLS = (
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.forwarding",
    "net.ipv6.conf.all.forwarding",
    "net.bridge.bridge-nf-call-iptables",
    "net.ipv4.ping_group_range",
    "kernel.hostname",
)
HISTORY_MAX = 1000


def err(where, e):
    ERRORS.append("%s: %s" % (where, e))


def read(path, limit=65536):
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


# ---------------------------------------------------------------- processes and namespaces
def scan_processes():
    procs = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        stat = read("/proc/%d/stat" % pid)
        if stat is None:
            continue
        # comm may contain spaces and parentheses: split at the last ')'
        comm = stat[stat.find("(") + 1 : stat.rfind(")")]
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        if ppid == 2 or pid == 2:
            continue  # kernel threads: never interesting to a lesson
        cmd = (read("/proc/%d/cmdline" % pid, 1024) or "").split("\0")
        ns = {}
        for t in NS_TYPES:
            i = inode("/proc/%d/ns/%s" % (pid, t))
            if i is not None:
                ns[t] = i
        procs.append({"pid": pid, "ppid": ppid, "comm": comm, "args": [a for a in cmd if a][:32], "ns": ns})
    procs.sort(key=lambda p: p["pid"])
    return procs


def start_ip(entry, host):
    """One `ip` per namespace: `addr show` (links with details and addresses) and all routes.
    HACK: `ip -n NAME` opens /run/netns/NAME, so `../../proc/PID/ns/net` reaches a container's
    namespace too; this lets ip do the setns itself (no preexec_fn, which would also stop
    subprocess from using vfork, nor ctypes, which is slow to import)."""
    argv = ["ip", "-j", "-d", "-b", "-"]
    if not host:
        argv[1:1] = ["-n", entry[len("/run/netns/"):] if entry.startswith("/run/netns/") else "../.." + entry]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def json_docs(text):
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        doc, i = dec.raw_decode(text, i)
        out.append(doc)


def link_of(raw):
    info = raw.get("linkinfo") or {}
    flags = raw.get("flags") or []
    link = {
        "ifindex": raw["ifindex"],
        "name": raw["ifname"],
        "kind": info.get("info_kind") or raw.get("link_type") or "unknown",
        "up": "UP" in flags,
        "lowerUp": "LOWER_UP" in flags,
        "operstate": raw.get("operstate", "UNKNOWN"),
        "mtu": raw.get("mtu", 0),
        "mac": raw.get("address", ""),
        "addrs": ["%s/%d" % (a["local"], a["prefixlen"]) for a in raw.get("addr_info", []) if "local" in a],
    }
    if raw.get("master"):
        link["master"] = raw["master"]
    if info.get("info_slave_kind"):
        link["slaveKind"] = info["info_slave_kind"]
    if "link_index" in raw or "link" in raw:
        peer = {"ifindex": raw.get("link_index")}
        if "link" in raw:
            peer["name"] = raw["link"]  # the other end (or lower device) is in this namespace
        if "link_netnsid" in raw:
            peer["netnsid"] = raw["link_netnsid"]
        link["peer"] = peer
    data = info.get("info_data") or {}
    keep = ("id", "remote", "local", "port", "dstport", "link", "ttl", "vlan_filtering", "stp_state", "protocol")
    tunnel = {k: data[k] for k in keep if k in data}
    if tunnel:
        link["data"] = tunnel
    return link


def route_of(r):
    out = {"dst": r.get("dst", "")}
    for k, name in (("gateway", "gateway"), ("dev", "dev"), ("protocol", "protocol"), ("scope", "scope"), ("prefsrc", "src"), ("type", "type")):
        if k in r:
            out[name] = r[k]
    out["table"] = str(r.get("table", "main"))
    return out


def namespaces(procs):
    host_ino = inode("/proc/self/ns/net")  # the agent runs us in the host namespace
    by_ino = {host_ino: {"id": host_ino, "names": [], "host": True, "pids": [], "entry": None}}
    for p in procs:
        i = p["ns"].get("net")
        if i is None:
            continue
        ns = by_ino.setdefault(i, {"id": i, "names": [], "host": False, "pids": [], "entry": "/proc/%d/ns/net" % p["pid"]})
        if len(ns["pids"]) < 8:
            ns["pids"].append(p["pid"])
    try:
        names = sorted(os.listdir("/run/netns"))
    except OSError:
        names = []
    for n in names:
        path = "/run/netns/" + n
        i = inode(path)
        if i is None:
            continue
        ns = by_ino.setdefault(i, {"id": i, "names": [], "host": i == host_ino, "pids": [], "entry": path})
        ns["names"].append(n)
        ns["entry"] = path if not ns["host"] else None
    # Docker keeps each container's namespace bind-mounted here: a stopping or restarting
    # container's namespace may have no process left but still hold the other end of a veth.
    try:
        sandboxes = sorted(os.listdir("/run/docker/netns"))
    except OSError:
        sandboxes = []
    for n in sandboxes:
        path = "/run/docker/netns/" + n
        i = inode(path)
        if i is not None and i not in by_ino:
            by_ino[i] = {"id": i, "names": [], "host": False, "pids": [], "entry": path}
    return [by_ino[host_ino]] + [v for k, v in by_ino.items() if k != host_ino]


def resolve_veths(nss):
    """A veth whose peer is in another namespace only says the peer's ifindex and a netnsid that
    means something inside its own namespace. Match pairs by crossed ifindexes instead: end A
    (ifindex i, peer j) pairs with the one veth elsewhere whose ifindex is j and peer is i."""
    ends = [(ns, l) for ns in nss for l in ns["links"] if l["kind"] == "veth" and "peer" in l]
    index = {}
    for ns, l in ends:
        index.setdefault((l["ifindex"], l["peer"].get("ifindex")), []).append((ns, l))
    for ns, l in ends:
        peer = l["peer"]
        if "name" in peer:
            peer["ns"] = ns["id"]
            continue
        cands = [(n2, l2) for n2, l2 in index.get((peer.get("ifindex"), l["ifindex"]), []) if n2["id"] != ns["id"]]
        if len(cands) == 1:
            peer["ns"], peer["name"] = cands[0][0]["id"], cands[0][1]["name"]


# ---------------------------------------------------------------- iptables, sockets, ovs
def parse_iptables(text):
    rules, policies, table = [], [], None
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
            if table not in ("filter", "nat"):
                table = None
        elif line.startswith(":") and table:
            parts = line[1:].split()
            policies.append({"table": table, "chain": parts[0], "policy": parts[1]})
        elif line.startswith("-A ") and table:
            rules.append(parse_rule(table, line))
    return rules, policies


RULE_OPTS = {
    "-p": "protocol", "-s": "source", "-d": "destination", "-i": "in", "-o": "out",
    "--dport": "dport", "--sport": "sport", "-j": "target", "--to-destination": "toDestination",
    "--to-source": "toSource", "--ctstate": "ctstate", "--state": "ctstate",
}


def parse_rule(table, line):
    toks = split_args(line)
    rule = {"table": table, "chain": toks[1], "raw": line}
    i, negate = 2, False
    while i < len(toks):
        t = toks[i]
        if t == "!":
            negate = True
            i += 1
            continue
        key = RULE_OPTS.get(t)
        if key and i + 1 < len(toks):
            val = toks[i + 1]
            if key in ("source", "destination") and val.endswith("/32"):
                val = val[:-3]
            rule[key] = ("!" + val) if negate else val
            i += 2
        else:
            i += 1
        negate = False
    return rule


def split_args(line):
    out, cur, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == " " and not quoted:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def parse_ss(text):
    socks = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        local = f[4]
        addr, _, port = local.rpartition(":")
        procs = re.findall(r'\("([^"]*)",pid=(\d+)', line)
        socks.append({
            "proto": f[0],
            "addr": addr.strip("[]"),
            "port": int(port) if port.isdigit() else 0,
            "processes": [{"name": n, "pid": int(p)} for n, p in procs],
        })
    return socks


def parse_ovs(text):
    docs = json_docs(text)
    if len(docs) != 3:
        raise ValueError("expected 3 tables from ovs-vsctl, got %d" % len(docs))

    def rows(doc):
        return [dict(zip(doc["headings"], r)) for r in doc["data"]]

    def val(v):
        if isinstance(v, list) and len(v) == 2 and v[0] in ("uuid", "set", "map"):
            if v[0] == "uuid":
                return v[1]
            if v[0] == "set":
                return [val(x) for x in v[1]]
            return {k: val(x) for k, x in v[1]}
        return v

    def as_list(v):
        v = val(v)
        return v if isinstance(v, list) else [v]

    bridges, ports, ifaces = (rows(d) for d in docs)
    ifmap = {val(i["_uuid"]): {"name": i["name"], "type": i["type"] or "system", "options": val(i["options"])} for i in ifaces}
    portmap = {val(p["_uuid"]): {"name": p["name"], "interfaces": [ifmap[u] for u in as_list(p["interfaces"]) if u in ifmap]} for p in ports}
    return [{"name": b["name"], "ports": [portmap[u] for u in as_list(b["ports"]) if u in portmap]} for b in bridges]


# ---------------------------------------------------------------- docker
def api(path):
    """GET over /var/run/docker.sock. HTTP/1.0, so dockerd answers without chunking and closes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(4)
    try:
        s.connect("/var/run/docker.sock")
        s.sendall(("GET %s HTTP/1.0\r\nHost: docker\r\n\r\n" % path).encode())
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2]
    if status != [b"200"]:
        raise RuntimeError("GET %s -> %s %s" % (path, head[:60], body[:200]))
    return json.loads(body)


class Pool:
    """A few threads for Docker API calls (concurrent.futures is slow to import)."""

    def __init__(self, n):
        self.n, self.jobs, self.lock, self.threads = n, [], threading.Lock(), []

    def submit(self, fn, *args):
        job = {"fn": fn, "args": args, "done": threading.Event()}
        with self.lock:
            self.jobs.append(job)
            if len(self.threads) < self.n:
                t = threading.Thread(target=self.work, daemon=True)
                self.threads.append(t)
                t.start()
        return Future(job)

    def work(self):
        while True:
            with self.lock:
                pending = [j for j in self.jobs if "taken" not in j]
                if not pending:
                    self.threads.remove(threading.current_thread())
                    return
                job = pending[0]
                job["taken"] = True
            try:
                job["value"] = job["fn"](*job["args"])
            except Exception as e:  # noqa: BLE001 -- handed to whoever waits for it
                job["error"] = e
            job["done"].set()


class Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class Future:
    def __init__(self, job):
        self.job = job

    def result(self):
        self.job["done"].wait(10)
        if "error" in self.job:
            raise self.job["error"]
        if "value" not in self.job:
            raise TimeoutError("docker API call did not finish")
        return self.job["value"]


def kv_list(items):
    out = {}
    for e in items or []:
        k, _, v = e.partition("=")
        out[k] = v
    return out


def container_of(c, pid_ns):
    cfg, hc, st, net = c.get("Config") or {}, c.get("HostConfig") or {}, c.get("State") or {}, c.get("NetworkSettings") or {}
    ports = {}
    for p, binds in (net.get("Ports") or {}).items():
        ports[p] = [{"hostIp": b.get("HostIp", ""), "hostPort": int(b["HostPort"])} for b in (binds or [])]
    networks = {}
    for n, e in (net.get("Networks") or {}).items():
        networks[n] = {
            "ip": e.get("IPAddress", ""),
            "prefixLen": e.get("IPPrefixLen", 0),
            "gateway": e.get("Gateway", ""),
            "mac": e.get("MacAddress", ""),
            "aliases": e.get("Aliases") or [],
            "links": e.get("Links") or [],
        }
    pid = st.get("Pid", 0)
    return {
        "id": c["Id"],
        "name": c.get("Name", "").lstrip("/"),
        "image": cfg.get("Image", ""),
        "imageId": c.get("Image", ""),
        "created": c.get("Created", ""),
        "status": st.get("Status", ""),
        "running": bool(st.get("Running")),
        "exitCode": st.get("ExitCode", 0),
        "startedAt": st.get("StartedAt", ""),
        "finishedAt": st.get("FinishedAt", ""),
        "restartCount": c.get("RestartCount", 0),
        "pid": pid,
        "netns": pid_ns.get(pid) if pid else None,
        "env": kv_list(cfg.get("Env")),
        "labels": cfg.get("Labels") or {},
        "cmd": cfg.get("Cmd") or [],
        "entrypoint": cfg.get("Entrypoint") or [],
        "tty": bool(cfg.get("Tty")),
        "openStdin": bool(cfg.get("OpenStdin")),
        "workdir": cfg.get("WorkingDir", ""),
        "user": cfg.get("User", ""),
        "hostname": cfg.get("Hostname", ""),
        "exposedPorts": sorted((cfg.get("ExposedPorts") or {}).keys()),
        "ports": ports,
        "networkMode": hc.get("NetworkMode", ""),
        "networks": networks,
        "links": hc.get("Links") or [],
        "volumesFrom": hc.get("VolumesFrom") or [],
        "restartPolicy": (hc.get("RestartPolicy") or {}).get("Name", ""),
        "privileged": bool(hc.get("Privileged")),
        "memory": hc.get("Memory", 0),
        "memorySwap": hc.get("MemorySwap", 0),
        "cpuShares": hc.get("CpuShares", 0),
        "nanoCpus": hc.get("NanoCpus", 0),
        "mounts": [
            {
                "type": m.get("Type", ""),
                "name": m.get("Name", ""),
                "source": m.get("Source", ""),
                "destination": m.get("Destination", ""),
                "rw": bool(m.get("RW")),
            }
            for m in c.get("Mounts") or []
        ],
    }


def image_of(i, hist):
    cfg = i.get("Config") or {}
    return {
        "id": i["Id"],
        "tags": i.get("RepoTags") or [],
        "digests": i.get("RepoDigests") or [],
        "created": i.get("Created", ""),
        "author": i.get("Author", ""),
        "comment": i.get("Comment", ""),
        "parent": i.get("Parent", ""),
        "size": i.get("Size", 0),
        "layers": len((i.get("RootFS") or {}).get("Layers") or []),
        "cmd": cfg.get("Cmd") or [],
        "entrypoint": cfg.get("Entrypoint") or [],
        "env": kv_list(cfg.get("Env")),
        "labels": cfg.get("Labels") or {},
        "exposedPorts": sorted((cfg.get("ExposedPorts") or {}).keys()),
        "volumes": sorted((cfg.get("Volumes") or {}).keys()),
        "workdir": cfg.get("WorkingDir", ""),
        "user": cfg.get("User", ""),
        "onBuild": cfg.get("OnBuild") or [],
        "history": [{"id": h.get("Id", ""), "createdBy": h.get("CreatedBy", ""), "size": h.get("Size", 0), "tags": h.get("Tags") or []} for h in hist],
    }


def docker_state(pool, pid_ns):
    out = {"running": False, "containers": [], "images": [], "networks": [], "volumes": [], "info": None, "skipped": sorted(SKIP)}
    raw = read("/etc/docker/daemon.json")
    out["daemonJson"] = {"present": raw is not None, "text": raw or ""}
    if raw is not None:
        try:
            out["daemonJson"]["config"] = json.loads(raw)
        except ValueError as e:
            out["daemonJson"]["error"] = str(e)
    try:
        # /info first: it is the slowest answer, the rest runs beside it.
        info_f = pool.submit(api, "/info") if "info" not in SKIP else Done(None)
        listing = pool.submit(api, "/containers/json?all=1")
        imgs = pool.submit(api, "/images/json") if "images" not in SKIP else None
        nets_f, vols_f = pool.submit(api, "/networks"), pool.submit(api, "/volumes")
        cfuts = [pool.submit(api, "/containers/%s/json" % c["Id"]) for c in listing.result()]
        ilist = imgs.result() if imgs else []
        none = Done([])
        ifuts = [(pool.submit(api, "/images/%s/json" % i["Id"]), pool.submit(api, "/images/%s/history" % i["Id"]) if "history" not in SKIP else none) for i in ilist]
        info = info_f.result()
    except Exception as e:  # noqa: BLE001 -- any failure means "dockerd is not answering"
        out["error"] = "%s: %s" % (type(e).__name__, e)
        return out
    out["running"] = True
    out["info"] = None if info is None else {
        "serverVersion": info.get("ServerVersion", ""),
        "labels": info.get("Labels") or [],
        "debug": bool(info.get("Debug")),
        "loggingDriver": info.get("LoggingDriver", ""),
        "cgroupDriver": info.get("CgroupDriver", ""),
        "cgroupVersion": info.get("CgroupVersion", ""),
        "storageDriver": info.get("Driver", ""),
        "dockerRootDir": info.get("DockerRootDir", ""),
        "registryMirrors": (info.get("RegistryConfig") or {}).get("Mirrors") or [],
        "insecureRegistries": (info.get("RegistryConfig") or {}).get("InsecureRegistryCIDRs") or [],
        "containers": info.get("Containers", 0),
        "containersRunning": info.get("ContainersRunning", 0),
        "images": info.get("Images", 0),
        "swarm": (info.get("Swarm") or {}).get("LocalNodeState", ""),
        "swarmManager": bool((info.get("Swarm") or {}).get("ControlAvailable")),
    }
    for f in cfuts:
        try:
            out["containers"].append(container_of(f.result(), pid_ns))
        except Exception as e:  # noqa: BLE001 -- a container removed while we looked
            err("docker container", e)
    for fi, fh in ifuts:
        try:
            out["images"].append(image_of(fi.result(), fh.result()))
        except Exception as e:  # noqa: BLE001
            err("docker image", e)
    try:
        for n in nets_f.result():
            ipam = [{"subnet": c.get("Subnet", ""), "gateway": c.get("Gateway", ""), "ipRange": c.get("IPRange", "")} for c in ((n.get("IPAM") or {}).get("Config") or [])]
            out["networks"].append({
                "id": n["Id"], "name": n["Name"], "driver": n.get("Driver", ""), "scope": n.get("Scope", ""),
                "internal": bool(n.get("Internal")), "subnets": ipam, "options": n.get("Options") or {},
                "labels": n.get("Labels") or {},
            })
        for v in vols_f.result().get("Volumes") or []:
            out["volumes"].append({"name": v["Name"], "driver": v.get("Driver", ""), "mountpoint": v.get("Mountpoint", ""), "labels": v.get("Labels") or {}})
    except Exception as e:  # noqa: BLE001
        err("docker networks/volumes", e)
    return out


def cgroup_of(pid):
    text = read("/proc/%d/cgroup" % pid) or ""
    path = None
    for line in text.splitlines():
        if line.startswith("0::"):
            path = line[3:]
    if path is None:
        return None
    base = "/sys/fs/cgroup" + path
    out = {"path": path}
    for f, key in (("memory.max", "memoryMax"), ("cpu.weight", "cpuWeight"), ("cpu.max", "cpuMax"), ("pids.max", "pidsMax")):
        v = read(base + "/" + f)
        if v is not None:
            out[key] = v.strip()
    return out


# ---------------------------------------------------------------- history, sysctls
def history():
    text = read(os.environ.get("HISTFILE_PATH", "/root/.bash_history"), 4 << 20) or ""
    out, ts = [], None
    for line in text.splitlines():
        if re.fullmatch(r"#\d{9,11}", line):
            ts = int(line[1:])
            continue
        if line.strip():
            out.append({"t": ts, "cmd": line})
            ts = None
    return out[-HISTORY_MAX:]


def sysctls():
    out = {}
    for k in SYSCTLS:
        v = read("/proc/sys/" + k.replace(".", "/"))
        if v is not None:
            out[k] = " ".join(v.split())
    return out


PHASES = {}


def mark(name):
    PHASES[name] = round((time.monotonic() - T0) * 1000)


def main():
    mark("start")
    procs = scan_processes()
    mark("procs")
    nss = namespaces(procs)
    # Start every slow process first, then do in-process work while they run.
    ips = []
    for ns in nss:
        try:
            ips.append(start_ip(ns["entry"], ns["host"]))
        except OSError as e:
            ips.append(None)
            err("ip in netns %s" % ns["id"], e)
    for ns, p in zip(nss, ips):
        if p:
            try:
                p.stdin.write(b"addr show\nroute show table all\n")
                p.stdin.close()
            except BrokenPipeError as e:
                # The namespace went away between the /proc scan and now (a container stopped or
                # dockerd restarted): `ip` exited at once. Its output, if any, says so below.
                err("ip in netns %s" % ns["id"], e)
            p.stdin = None  # else communicate() flushes the closed pipe and raises
    side = {}
    # One iptables-save for all tables (each spawn costs); only filter and nat are kept.
    for name, argv in (("iptables", ["iptables-save"]), ("ss", ["ss", "-ltnuHp"])):
        try:
            side[name] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            err(name, e)
    ovs_running = os.path.exists("/var/run/openvswitch/db.sock")
    if ovs_running:
        try:
            argv = ["ovs-vsctl", "--timeout=3", "--format=json", "--", "list", "Bridge", "--", "list", "Port", "--", "list", "Interface"]
            side["ovs"] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            err("ovs", e)

    mark("spawned")
    pid_ns = {p["pid"]: p["ns"].get("net") for p in procs}
    docker = docker_state(Pool(4), pid_ns)
    mark("docker")
    for c in docker["containers"]:
        if c["pid"]:
            c["cgroup"] = cgroup_of(c["pid"])

    for ns, p in zip(nss, ips):
        ns["links"], ns["routes"] = [], []
        ns["containers"] = [c["name"] for c in docker["containers"] if c["netns"] == ns["id"]]
        del ns["entry"]
        if not p:
            continue
        out, e = p.communicate(timeout=10)
        try:
            docs = json_docs(out.decode("utf-8", "replace"))
            ns["links"] = [link_of(l) for l in docs[0]]
            ns["routes"] = [route_of(r) for r in docs[1] if str(r.get("table", "main")) != "local" and r.get("type") not in ("local", "broadcast", "multicast")]
        except (ValueError, IndexError) as x:
            err("ip in netns %s" % ns["id"], "%s %s" % (x, e[:200]))
    resolve_veths(nss)
    mark("ip")

    result = {
        "version": 1,
        "hostname": socket.gethostname(),
        "takenAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "namespaces": nss,
        "processes": procs,
        "hostNs": {t: inode("/proc/self/ns/" + t) for t in NS_TYPES},
        "iptables": {"available": False, "rules": [], "policies": []},
        "sockets": [],
        "ovs": {"running": ovs_running, "bridges": []},
        "sysctl": sysctls(),
        "docker": docker,
        "history": history(),
    }
    p = side.get("iptables")
    if p:
        out, e = p.communicate(timeout=10)
        if p.returncode == 0:
            rules, pol = parse_iptables(out.decode("utf-8", "replace"))
            result["iptables"] = {"available": True, "rules": rules, "policies": pol}
        else:
            err("iptables", e.decode("utf-8", "replace")[:200])
    if "ss" in side:
        out, _ = side["ss"].communicate(timeout=10)
        result["sockets"] = parse_ss(out.decode("utf-8", "replace"))
    if "ovs" in side:
        out, e = side["ovs"].communicate(timeout=10)
        try:
            result["ovs"]["bridges"] = parse_ovs(out.decode("utf-8", "replace"))
        except (ValueError, KeyError) as x:
            result["ovs"]["running"] = False
            err("ovs", "%s %s" % (x, e.decode("utf-8", "replace")[:200]))
    mark("end")
    result["phases"] = PHASES
    result["errors"] = ERRORS
    result["elapsedMs"] = round((time.monotonic() - T0) * 1000)
    print(json.dumps(result, separators=(",", ":")))


main()
