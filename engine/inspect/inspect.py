"""dockerlab state inspector: prints one JSON document describing a sandbox host's kernel and
Docker state. Sent as stdin to `python3 -` in one exec round trip (see inspect.ts).

Speed matters (QEMU TCG, every process spawn costs tens of ms), so:
- namespaces are found by scanning /proc once (inode of /proc/PID/ns/net), not with lsns;
- network namespaces are read over rtnetlink from this process (setns, then one socket each),
  not with one `ip` process per namespace;
- Docker is read through its API on the unix socket with a bare HTTP/1.0 client, a few requests in
  parallel, never the docker CLI (a Go binary that takes ~0.5 s to start under TCG);
- only cheap modules are imported, and inspect.ts runs `python3 -S` (no site): under TCG, site
  costs ~200 ms and http.client/concurrent.futures/ctypes another ~500 ms of imports;
- only the parts asked for are read (a step asks for what its conditions read, see plan()), and
  a resident copy (serve) keeps the containers' inspects while Docker's event log says they did
  not change, so a check after a command re-reads only what changed there;
- OVS is read from ovsdb-server's socket, not with ovs-vsctl.
A failing part is recorded in `errors` and the rest still works (e.g. dockerd stopped).
"""
import json, os, re, socket, struct, subprocess, sys, threading, time

T0 = time.monotonic()
ERRORS = []
# The parts of a snapshot (engine/inspect/types.ts `Part`); a caller asks for the ones its
# conditions read and the others stay empty. `imageHistory` comes with `images` (both cached per
# image id), and `namespaces` brings the containers with it (each namespace names its containers).
PARTS = ("namespaces", "processes", "hostNs", "iptables", "sysctl", "sockets", "ovs", "containers", "images", "imageHistory", "daemonInfo", "daemonJson", "networks", "volumes", "commands")
DOCKER_API_PARTS = ("containers", "images", "imageHistory", "daemonInfo", "networks", "volumes")


def plan(asked):
    """What to collect for the parts `asked` (None: all): the set of parts, dependencies added."""
    want = set(PARTS if asked is None else asked)
    unknown = want - set(PARTS)
    if unknown:
        raise ValueError("unknown parts: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(PARTS)))
    if "namespaces" in want:
        want.add("containers")
    if "imageHistory" in want or "images" in want:
        want.update(("images", "imageHistory"))
    return want


WANT = plan([x for x in sys.argv[sys.argv.index("--parts") + 1].split(",") if x] if "--parts" in sys.argv else None)
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


def is_kernel_thread(pid):
    stat = read("/proc/%d/stat" % pid)
    if stat is None:
        return None  # gone
    return pid == 2 or int(stat[stat.rfind(")") + 2 :].split()[1]) == 2


def kernel_threads():
    """The kernel threads' pids: kthreadd (2) and its children, from one file (the kernel's
    CONFIG_PROC_CHILDREN); None where that file is missing."""
    text = read("/proc/2/task/2/children")
    return None if text is None else {2} | {int(x) for x in text.split()}


def netns_of_processes(host_ino, keep=8):
    """(pid, net namespace inode) of every process, pid order, as scan_processes would list them,
    for when the processes themselves were not asked for: one stat per process instead of ten
    reads. Kernel threads all live in the host namespace, so only its first `keep` processes (the
    most namespaces() records) need telling apart from them."""
    kthreads = kernel_threads()
    pairs = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            i = inode("/proc/%s/ns/net" % d)
            if i is not None:
                pairs.append((int(d), i))
    pairs.sort()
    out, host_kept = [], 0
    for pid, i in pairs:
        if i == host_ino:
            if host_kept >= keep:
                continue
            if (pid in kthreads) if kthreads is not None else (is_kernel_thread(pid) is not False):
                continue
            host_kept += 1
        out.append((pid, i))
    return out


# ---------------------------------------------------------------- links and routes over netlink
# Every namespace is read in this process: one rtnetlink socket each, opened after setns() into
# it (the socket stays bound to that namespace when the thread comes back), then dumped. Under
# TCG this replaces one `ip` process per namespace (~20-40 ms each just to start): all 15
# namespaces of a busy sandbox take ~160 ms, ctypes' import included.
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
CLONE_NEWNET = 0x40000000
IFF_UP, IFF_PROMISC, IFF_LOWER_UP = 1, 0x100, 1 << 16
OPERSTATES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")
LINK_TYPES = {1: "ether", 772: "loopback", 65534: "none", 768: "ipip", 776: "sit", 778: "gre", 823: "ip6gre"}
PROTOCOLS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 16: "dhcp", 186: "bgp", 188: "ospf"}
SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
RTN_TYPES = {1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat"}
TABLES = {0: "unspec", 253: "default", 254: "main", 255: "local"}
def _u8(b): return b[0]
def _u16(b): return struct.unpack("=H", b[:2])[0]
def _be16(b): return struct.unpack(">H", b[:2])[0]
def _u32(b): return struct.unpack("=I", b[:4])[0]
def _ip4(b): return socket.inet_ntop(socket.AF_INET, b[:4])
def _ip6(b): return socket.inet_ntop(socket.AF_INET6, b[:16])
MACVLAN_MODES = {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}
# IFLA_INFO_DATA attributes worth keeping, per link kind: number -> (name, decoder)
INFO_DATA = {
    "vxlan": {1: ("id", _u32), 2: ("remote", _ip4), 3: ("link", _u32), 4: ("local", _ip4), 5: ("ttl", _u8), 15: ("dstport", _be16), 16: ("remote", _ip6), 17: ("local", _ip6)},
    "gre": {1: ("link", _u32), 6: ("local", _ip4), 7: ("remote", _ip4), 8: ("ttl", _u8)},
    "gretap": {1: ("link", _u32), 6: ("local", _ip4), 7: ("remote", _ip4), 8: ("ttl", _u8)},
    "ipip": {1: ("link", _u32), 2: ("local", _ip4), 3: ("remote", _ip4), 4: ("ttl", _u8)},
    "bridge": {5: ("stp_state", _u32), 7: ("vlan_filtering", _u8)},
    "macvlan": {1: ("mode", lambda b: MACVLAN_MODES.get(_u32(b), str(_u32(b))))},
    "vlan": {1: ("id", _u16), 5: ("protocol", lambda b: {0x8100: "802.1Q", 0x88A8: "802.1ad"}.get(_be16(b), hex(_be16(b))))},
}


def nl_attrs(buf, off=0):
    out = {}
    while off + 4 <= len(buf):
        length, kind = struct.unpack_from("=HH", buf, off)
        if length < 4:
            break
        out[kind & 0x3FFF] = buf[off + 4 : off + length]  # without NLA_F_NESTED / NET_BYTEORDER
        off += (length + 3) & ~3
    return out


RECV = bytearray(1 << 17)  # one buffer for every dump: a new 1 MiB bytes per recv cost ~0.2 ms each under TCG


def nl_dump(sock, kind, body):
    sock.send(struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_DUMP, kind, 0) + body)
    msgs = []
    while True:
        data = bytes(memoryview(RECV)[: sock.recv_into(RECV)])
        off = 0
        while off + 16 <= len(data):
            length, typ = struct.unpack_from("=IH", data, off)
            if typ == NLMSG_DONE:
                return msgs
            if typ == NLMSG_ERROR:
                code = struct.unpack_from("=i", data, off + 16)[0]
                if code:
                    raise OSError(-code, os.strerror(-code))
            else:
                msgs.append(data[off + 16 : off + length])
            off += (length + 3) & ~3


def nl_socket(entry, setns, host_fd):
    """An rtnetlink socket in the namespace at `entry` (None: ours)."""
    if entry is None:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    fd = os.open(entry, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if setns(fd, CLONE_NEWNET) != 0:
            raise OSError("setns into %s failed" % entry)
        try:
            return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        finally:
            if setns(host_fd, CLONE_NEWNET) != 0:  # never carry on in the wrong namespace
                os._exit(70)
    finally:
        os.close(fd)


def read_netns(sock):
    """(links, routes) of the namespace `sock` belongs to, named as `ip -d -j` names things."""
    links, names = [], {}
    # IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS: no counters (unused here, and most of each message).
    for m in nl_dump(sock, RTM_GETLINK, struct.pack("=BxHiIIHHI", 0, 0, 0, 0, 0, 8, 29, 8)):
        _, ltype, index, flags = struct.unpack_from("=BxHiI", m)
        a = nl_attrs(m, 16)
        name = a.get(3, b"").rstrip(b"\0").decode("utf-8", "replace")
        names[index] = name
        info = nl_attrs(a[18]) if 18 in a else {}
        kind = info.get(1, b"").rstrip(b"\0").decode() or LINK_TYPES.get(ltype, "unknown")
        mac = a.get(1, b"")
        link = {
            "ifindex": index,
            "name": name,
            "kind": kind,
            "up": bool(flags & IFF_UP),
            "lowerUp": bool(flags & IFF_LOWER_UP),
            "promisc": bool(flags & IFF_PROMISC),
            "operstate": OPERSTATES[a[16][0]] if 16 in a and a[16][0] < len(OPERSTATES) else "UNKNOWN",
            "mtu": _u32(a[4]) if 4 in a else 0,
            "mac": (_ip4(mac) if len(mac) == 4 else ":".join("%02x" % x for x in mac)),
            "addrs": [],
        }
        if 10 in a:
            link["master"] = _u32(a[10])  # an index until every name is known
        if 4 in info:
            link["slaveKind"] = info[4].rstrip(b"\0").decode()
        if 5 in a and _u32(a[5]):
            link["peer"] = {"ifindex": _u32(a[5])}
            if 37 in a:
                link["peer"]["netnsid"] = struct.unpack("=i", a[37][:4])[0]
        decoders = INFO_DATA.get(kind)
        if decoders and 2 in info:
            data = {}
            for k, v in nl_attrs(info[2]).items():
                if k in decoders and v:
                    key, dec = decoders[k]
                    data[key] = dec(v)
            if data:
                link["data"] = data
        links.append(link)
    for link in links:
        if "master" in link:
            link["master"] = names.get(link["master"], "if%d" % link["master"])
        peer = link.get("peer")
        if peer and "netnsid" not in peer and peer["ifindex"] in names:
            peer["name"] = names[peer["ifindex"]]  # the other end (or lower device) is here too
        if "link" in link.get("data", {}):
            link["data"]["link"] = names.get(link["data"]["link"], link["data"]["link"])
    by_index = {l["ifindex"]: l for l in links}
    for m in nl_dump(sock, RTM_GETADDR, struct.pack("=BBBBI", 0, 0, 0, 0, 0)):
        family, prefix, _, _, index = struct.unpack_from("=BBBBI", m)
        a = nl_attrs(m, 8)
        addr = a.get(2) or a.get(1)  # IFA_LOCAL, else IFA_ADDRESS
        if addr and index in by_index and family in (socket.AF_INET, socket.AF_INET6):
            by_index[index]["addrs"].append("%s/%d" % (socket.inet_ntop(family, addr), prefix))
    routes = []
    for m in nl_dump(sock, RTM_GETROUTE, struct.pack("=BBBBBBBBI", 0, 0, 0, 0, 0, 0, 0, 0, 0)):
        family, dst_len, _, _, table, proto, scope, rtype, _ = struct.unpack_from("=BBBBBBBBI", m)
        a = nl_attrs(m, 12)
        table = _u32(a[15]) if 15 in a else table
        if family not in (socket.AF_INET, socket.AF_INET6) or table == 255 or rtype in (2, 3, 5):
            continue  # the kernel's local/broadcast table, as `ip route show table all` minus those
        ntop = lambda b: socket.inet_ntop(family, b)  # noqa: E731
        full = 32 if family == socket.AF_INET else 128
        dst = "default" if dst_len == 0 else ntop(a[1]) + ("" if dst_len == full else "/%d" % dst_len) if 1 in a else "?/%d" % dst_len
        r = {"dst": dst}
        if 5 in a:
            r["gateway"] = ntop(a[5])
        if 4 in a:
            r["dev"] = names.get(_u32(a[4]), "if%d" % _u32(a[4]))
        r["protocol"] = PROTOCOLS.get(proto, str(proto))
        r["scope"] = SCOPES.get(scope, str(scope))
        if 7 in a:
            r["src"] = ntop(a[7])
        r["type"] = RTN_TYPES.get(rtype, str(rtype))
        r["table"] = TABLES.get(table, str(table))
        routes.append(r)
    return links, routes


def namespaces(pairs):
    """Every network namespace: the host's, each process's (`pairs`: (pid, inode), pid order),
    each named one (/run/netns) and each Docker keeps (/run/docker/netns)."""
    host_ino = inode("/proc/self/ns/net")  # the agent runs us in the host namespace
    by_ino = {host_ino: {"id": host_ino, "names": [], "host": True, "pids": [], "entry": None}}
    for pid, i in pairs:
        if i is None:
            continue
        ns = by_ino.setdefault(i, {"id": i, "names": [], "host": False, "pids": [], "entry": "/proc/%d/ns/net" % pid})
        if len(ns["pids"]) < 8:
            ns["pids"].append(pid)
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
    nsfs = os.stat("/proc/self/ns/net").st_dev
    for n in sandboxes:
        path = "/run/docker/netns/" + n
        try:
            st = os.stat(path)
        except OSError:
            continue
        i = st.st_ino
        # After dockerd restarts, the files of containers it stopped stay behind unmounted: plain
        # files, not namespaces (their device is not nsfs).
        if st.st_dev == nsfs and i not in by_ino:
            by_ino[i] = {"id": i, "names": [], "host": False, "pids": [], "entry": path}
    return [by_ino[host_ino]] + [v for k, v in by_ino.items() if k != host_ino]


def read_namespaces(nss):
    """Fills each namespace's links and routes; a namespace that vanished meanwhile gets none."""
    import ctypes  # only here: ~100 ms to import under TCG

    setns = ctypes.CDLL(None, use_errno=True).setns
    host_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        for ns in nss:
            ns["links"], ns["routes"] = [], []
            entry = ns.pop("entry")
            try:
                with nl_socket(entry, setns, host_fd) as sock:
                    ns["links"], ns["routes"] = read_netns(sock)
            except OSError as e:
                err("netns %s" % ns["id"], e)
    finally:
        os.close(host_fd)


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


def json_docs(text):
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        doc, i = dec.raw_decode(text, i)
        out.append(doc)


OVSDB = "/var/run/openvswitch/db.sock"


def ovs_rows():
    """The Bridge, Port and Interface rows straight from ovsdb-server's socket (one JSON-RPC
    `transact` of three selects): what `ovs-vsctl list` prints, without starting it (~0.2 s under
    TCG)."""
    cols = {"Bridge": ["name", "ports"], "Port": ["_uuid", "name", "interfaces"], "Interface": ["_uuid", "name", "type", "options"]}
    ops = [{"op": "select", "table": t, "where": [], "columns": c} for t, c in cols.items()]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(OVSDB)
        s.sendall(json.dumps({"method": "transact", "params": ["Open_vSwitch"] + ops, "id": 1}).encode())
        buf, dec = "", json.JSONDecoder()
        while True:
            b = s.recv(65536)
            if not b:
                raise ValueError("ovsdb-server closed the connection")
            buf += b.decode("utf-8", "replace")
            try:
                reply, _ = dec.raw_decode(buf.lstrip())
            except ValueError:
                continue  # not whole yet
            if reply.get("id") == 1:
                break
            buf = ""  # a notification or echo meant for someone else
    finally:
        s.close()
    if reply.get("error"):
        raise ValueError("ovsdb: %s" % reply["error"])
    res = reply["result"]
    bad = [r["error"] for r in res if "error" in r]
    if bad:
        raise ValueError("ovsdb: %s" % bad[0])
    return ovs_tables(*(r["rows"] for r in res))


def ovs_tables(bridges, ports, ifaces):
    """The bridges, each with its ports and their interfaces, from rows in OVSDB's JSON notation."""

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

    ifmap = {val(i["_uuid"]): {"name": i["name"], "type": i["type"] or "system", "options": val(i["options"])} for i in ifaces}
    portmap = {val(p["_uuid"]): {"name": p["name"], "interfaces": [ifmap[u] for u in as_list(p["interfaces"]) if u in ifmap]} for p in ports}
    return [{"name": b["name"], "ports": [portmap[u] for u in as_list(b["ports"]) if u in portmap]} for b in bridges]


# ---------------------------------------------------------------- docker
def api(path):
    """GET over /var/run/docker.sock, the answer parsed."""
    return json.loads(api_text(path))


def api_text(path):
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
    return body.decode("utf-8", "replace")


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


def container_of(c):
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
        "netns": inode("/proc/%d/ns/net" % pid) if pid else None,
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
        # Layer digests, base first: a base image's list is a prefix of every image built FROM it.
        "rootfs": (i.get("RootFS") or {}).get("Layers") or [],
        "cmd": cfg.get("Cmd") or [],
        "entrypoint": cfg.get("Entrypoint") or [],
        "env": kv_list(cfg.get("Env")),
        "labels": cfg.get("Labels") or {},
        "exposedPorts": sorted((cfg.get("ExposedPorts") or {}).keys()),
        "volumes": sorted((cfg.get("Volumes") or {}).keys()),
        "workdir": cfg.get("WorkingDir", ""),
        "user": cfg.get("User", ""),
        "onBuild": cfg.get("OnBuild") or [],
        "history": [
            {"id": h.get("Id", ""), "created": h.get("Created", 0), "createdBy": h.get("CreatedBy", ""), "size": h.get("Size", 0), "tags": h.get("Tags") or []}
            for h in hist
        ],
    }


IMAGE_CACHE = "/run/dockerlab/images"


IMAGES = {}  # image id -> its details, in the resident inspector's memory


def image_details(image_id):
    """An image's inspect and history. Both are fixed for its ID (content-addressed), so they are
    kept under /run/dockerlab and in memory: after the first snapshot, images cost no API calls
    but the list."""
    d = IMAGES.get(image_id)
    if d is None:
        d = IMAGES[image_id] = image_details_read(image_id)
    return d


def image_details_read(image_id):
    path = "%s/%s.json" % (IMAGE_CACHE, image_id.replace("sha256:", ""))
    cached = read(path, 1 << 24)
    if cached:
        try:
            return json.loads(cached)
        except ValueError:
            pass  # a torn write: fetch again
    d = {"inspect": api("/images/%s/json" % image_id), "history": api("/images/%s/history" % image_id)}
    try:
        os.makedirs(IMAGE_CACHE, exist_ok=True)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "w") as f:
            json.dump(d, f)
        os.rename(tmp, path)
    except OSError as e:
        err("image cache", e)
    return d


class Containers:
    """The containers' inspects, kept from one snapshot to the next by the resident inspector and
    brought up to date from Docker's own event log: one GET /events?since=...&until=now names
    every container that changed meanwhile (create, start, die, update, rename, network
    (dis)connect, ...), and only those are inspected again; the listing is fetched again after
    any container event. Everything is dropped when dockerd restarted (its pid changed: the log
    lives in its memory), when the log may have overflowed, or on an event it cannot place.
    What Docker does not log (cgroup files, the namespace of a pid) is read fresh each time."""

    RING = 256  # dockerd keeps its newest 256 events
    OVERLAP_S = 2.0  # an event stamped a little before its change shows, is seen twice

    def __init__(self):
        self.clear()
        self.daemon = None

    def clear(self):
        self.since, self.ids, self.inspects = None, None, {}

    def sync(self):
        """Drops what changed since the last call; raises when dockerd does not answer."""
        daemon = (read("/var/run/docker.pid") or "").strip()
        now = time.time()
        if daemon != self.daemon or (self.since is not None and self.since >= now):
            self.clear()  # another dockerd, or the clock went back (the log's times cannot be trusted)
            self.daemon = daemon
        if self.since is not None:
            events = json_docs(api_text("/events?since=%.6f&until=%.6f" % (self.since, now)))
            if len(events) >= self.RING - 1:
                self.clear()
            for e in events:
                self.forget(e)
        self.since = now - self.OVERLAP_S

    def forget(self, e):
        actor = e.get("Actor") or {}
        kind, attrs = e.get("Type"), actor.get("Attributes") or {}
        if kind == "container":
            cid = actor.get("ID") or e.get("id")
            if not cid:
                return self.clear()
            self.inspects.pop(cid, None)
            self.ids = None
        elif kind in ("network", "volume"):
            cid = attrs.get("container")  # connect, disconnect, mount, unmount
            if cid:
                self.inspects.pop(cid, None)
        elif kind == "daemon":  # a reload: settings changed
            self.clear()

    def get(self, pool):
        """The raw inspects, newest container first (the listing's order)."""
        if self.ids is None:
            self.ids = [c["Id"] for c in api("/containers/json?all=1")]
        ids = self.ids
        futs = [(cid, pool.submit(api, "/containers/%s/json" % cid)) for cid in ids if cid not in self.inspects]
        for cid, f in futs:
            try:
                self.inspects[cid] = f.result()
            except Exception as e:  # noqa: BLE001 -- a container removed while we looked
                err("docker container", e)
                self.ids = None  # list again next time
        return [self.inspects[cid] for cid in ids if cid in self.inspects]


CONTAINERS = Containers()


def docker_state(pool, want):
    skipped = [s for s, part in (("history", "imageHistory"), ("images", "images"), ("info", "daemonInfo")) if part not in want]
    out = {"running": False, "containers": [], "images": [], "networks": [], "volumes": [], "info": None, "skipped": sorted(skipped)}
    if "daemonJson" in want:
        raw = read("/etc/docker/daemon.json")
        out["daemonJson"] = {"present": raw is not None, "text": raw or ""}
        if raw is not None:
            try:
                out["daemonJson"]["config"] = json.loads(raw)
            except ValueError as e:
                out["daemonJson"]["error"] = str(e)
    else:
        out["daemonJson"] = {"present": False, "text": ""}
    if not any(p in want for p in DOCKER_API_PARTS):
        return out
    try:
        # /info first: it is the slowest answer, the rest runs beside it.
        info_f = pool.submit(api, "/info") if "daemonInfo" in want else Done(None)
        imgs = pool.submit(api, "/images/json") if "images" in want else None
        nets_f = pool.submit(api, "/networks") if "networks" in want else Done([])
        vols_f = pool.submit(api, "/volumes") if "volumes" in want else Done({})
        if "containers" in want:
            CONTAINERS.sync()
            raw_containers = CONTAINERS.get(pool)
        else:
            raw_containers = []
        ilist = imgs.result() if imgs else []
        ifuts = [(pool.submit(image_details, i["Id"]), i) for i in ilist]
        info = info_f.result()
    except Exception as e:  # noqa: BLE001 -- any failure means "dockerd is not answering"
        CONTAINERS.clear()
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
    for c in raw_containers:
        try:
            out["containers"].append(container_of(c))
        except Exception as e:  # noqa: BLE001
            err("docker container", e)
    for f, listed in ifuts:
        try:
            d = f.result()
            img = image_of(d["inspect"], d["history"])
            # Tags move from image to image; the listing has today's.
            img["tags"] = [t for t in listed.get("RepoTags") or [] if t != "<none>:<none>"]
            img["digests"] = [t for t in listed.get("RepoDigests") or [] if t != "<none>@<none>"]
            out["images"].append(img)
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


def commands():
    """What root's interactive shell recorded after each command (guest/bashrc __dl_prompt):
    `status<TAB>pipestatus<TAB>epoch<TAB>command` per line, newest last. Unlike .bash_history it
    says whether the command succeeded."""
    try:
        with open(os.environ.get("COMMANDS_PATH", "/root/.dockerlab_commands"), "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - (1 << 20)))  # the newest 1 MiB: the first line may be cut, and is skipped
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    out = []
    for line in text.splitlines():
        f = line.split("\t", 3)
        if len(f) != 4 or not re.fullmatch(r"\d+", f[0]) or not re.fullmatch(r"[\d ]*", f[1]) or not re.fullmatch(r"\d+", f[2]):
            continue  # a torn or hand-edited line
        out.append({"status": int(f[0]), "pipe": [int(x) for x in f[1].split()], "t": int(f[2]), "cmd": f[3]})
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
    print(snapshot(WANT))


def snapshot(want):
    """The snapshot of the parts in `want` (see plan()); the others keep their empty shape."""
    global T0
    T0 = time.monotonic()
    ERRORS.clear()
    PHASES.clear()
    mark("start")
    host_ino = inode("/proc/self/ns/net")
    procs = scan_processes() if "processes" in want else []
    mark("procs")
    # Start the slow processes first, then read Docker (in a thread) and the namespaces while they run.
    side = {}
    # One iptables-save for all tables (each spawn costs); only filter and nat are kept.
    for name, argv in (("iptables", ["iptables-save"]), ("sockets", ["ss", "-ltnuHp"])):
        if name in want:
            try:
                side[name] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as e:
                err(name, e)
    mark("spawned")
    box = {}
    reader = threading.Thread(target=lambda: box.update(docker=docker_state(Pool(4), want)))
    reader.start()
    nss = []
    if "namespaces" in want:
        pairs = [(p["pid"], p["ns"].get("net")) for p in procs] if "processes" in want else netns_of_processes(host_ino)
        nss = namespaces(pairs)
        read_namespaces(nss)
    mark("netns")
    ovs = {"running": False, "bridges": []}
    if "ovs" in want and os.path.exists(OVSDB):
        try:
            ovs = {"running": True, "bridges": ovs_rows()}
        except (OSError, ValueError, KeyError) as x:
            err("ovs", x)
    reader.join()
    docker = box["docker"]
    mark("docker")
    for c in docker["containers"]:
        if c["pid"]:
            c["cgroup"] = cgroup_of(c["pid"])

    for ns in nss:
        ns["containers"] = [c["name"] for c in docker["containers"] if c["netns"] == ns["id"]]
    resolve_veths(nss)

    result = {
        "version": 1,
        "hostname": socket.gethostname(),
        "takenAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "parts": sorted(want),
        "namespaces": nss,
        "processes": procs,
        "hostNs": {t: inode("/proc/self/ns/" + t) for t in NS_TYPES} if "hostNs" in want else {},
        "iptables": {"available": False, "rules": [], "policies": []},
        "sockets": [],
        "ovs": ovs,
        "sysctl": sysctls() if "sysctl" in want else {},
        "docker": docker,
        "history": history(),
        "commands": commands() if "commands" in want else None,
    }
    p = side.get("iptables")
    if p:
        out, e = p.communicate(timeout=10)
        if p.returncode == 0:
            rules, pol = parse_iptables(out.decode("utf-8", "replace"))
            result["iptables"] = {"available": True, "rules": rules, "policies": pol}
        else:
            err("iptables", e.decode("utf-8", "replace")[:200])
    if "sockets" in side:
        out, _ = side["sockets"].communicate(timeout=10)
        result["sockets"] = parse_ss(out.decode("utf-8", "replace"))
    mark("end")
    result["phases"] = dict(PHASES)
    result["errors"] = list(ERRORS)
    result["elapsedMs"] = round((time.monotonic() - T0) * 1000)
    return json.dumps(result, separators=(",", ":"))


def serve(path, idle_s=1800):
    """Stays resident and answers each connection on the unix socket `path` with a snapshot, so
    python's start and imports (~0.4 s under TCG) are paid once, not per check, and what Docker
    says has not changed is kept (Containers). A request is one line: the parts wanted,
    comma-separated, or `*` for all of them; one request at a time. Started by inspect.ts on
    first use, detached from the exec that started it; leaves after `idle_s` without a request.
    A request it cannot answer gets no bytes (inspect.ts then takes the snapshot the slow way)."""
    import ctypes  # noqa: F401 -- imported once here, for every request

    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
        return  # another one started first and answers
    except OSError:
        pass
    finally:
        probe.close()
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = "%s.%d" % (path, os.getpid())
    srv.bind(tmp)
    os.rename(tmp, path)  # appears whole, or not at all
    srv.listen(16)
    srv.settimeout(idle_s)
    while True:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            os.unlink(path)
            return
        try:
            conn.settimeout(10)
            line = conn.makefile("rb").readline().decode().strip()
            conn.sendall(snapshot(plan(None if line == "*" else [x for x in line.split(",") if x])).encode())
        except Exception as e:  # noqa: BLE001 -- this request fails, the inspector stays
            sys.stderr.write("inspect: %s: %s\n" % (type(e).__name__, e))
        finally:
            conn.close()


if __name__ == "__main__":
    main()
