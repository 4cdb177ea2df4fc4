#!/usr/bin/env python3
"""A hostile guest agent for rogue-agent.test.ts: the frame protocol of engine/sandbox/guest/agent.py
on a unix socket (served as QEMU's virtio-serial chardev is), breaking it on request.

Usage: rogue-agent.py SOCKET. It says hello on connect and answers pings like the real agent; the
argv of each OPEN picks what it does on that channel:
  echo TEXT          TEXT on stdout, then a valid exit 0 (a well-behaved command)
  yes                output on credit, as the real agent sends it, until CLOSE (a well-behaved stream)
  flood BYTES        BYTES of stdout in 32 KiB frames, never waiting for acks, then exit 0
  flood-unopened BYTES   the same on a channel number nobody opened
  exit-json TEXT     an exit frame whose payload is TEXT as is (not JSON, null, a wrong shape)
  error-json TEXT    the same for an error frame
  unknown-type       a frame of type 200 on the channel, then what echo does
  hello              a hello on channel 0, as a restarted agent sends; nothing on this channel
  bad-length N       a frame header with length N, then 16 bytes of 0xff
  silent             nothing at all: the channel stays open
It reports on stdout, one JSON line each, for the test to wait on (never a sleep):
  {"listening": SOCKET}                once it accepts the host's connection
  {"blocked": CHANNEL, "sent": BYTES}  every 50 ms while a `yes` channel waits for credit
  {"done": "flood", "sent": BYTES}     when a flood has been written whole
"""
import json, socket, struct, sys, threading, time

OPEN, STDIN, STDOUT, STDERR, RESIZE, SIGNAL, EXIT, ACK, CLOSE, HELLO, PING, PONG, ERROR = range(1, 14)
HIGH_WATER, CHUNK = 256 * 1024, 32 * 1024

def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(1)
report(listening=sys.argv[1])
conn, _ = server.accept()
send_lock = threading.Lock()


def frame(cid, kind, payload=b""):
    return struct.pack(">IIB", len(payload) + 5, cid, kind) + payload


def send(data):
    with send_lock:
        conn.sendall(data)


def exit_ok(cid):
    send(frame(cid, EXIT, b'{"code": 0, "signal": null, "timedOut": false}'))


class Credit:
    def __init__(self):
        self.unacked = 0
        self.closed = False
        self.cond = threading.Condition()


credits = {}


def yes(cid, credit):
    data = frame(cid, STDOUT, b"y\n" * (CHUNK // 2))
    sent = 0
    while True:
        with credit.cond:
            while credit.unacked >= HIGH_WATER and not credit.closed:
                report(blocked=cid, sent=sent)
                credit.cond.wait(0.05)
            if credit.closed:
                break
            credit.unacked += CHUNK
        send(data)
        sent += CHUNK
    send(frame(cid, EXIT, b'{"code": 137, "signal": 9, "timedOut": false}'))


def flood(cid, total):
    data = frame(cid, STDOUT, b"x" * CHUNK)
    sent = 0
    while sent < total:
        send(data)
        sent += CHUNK
    report(done="flood", sent=sent)
    exit_ok(cid)


def start(cid, argv):
    what, args = argv[0], argv[1:]
    if what == "echo":
        send(frame(cid, STDOUT, args[0].encode()))
        exit_ok(cid)
    elif what == "yes":
        credits[cid] = Credit()
        threading.Thread(target=yes, args=(cid, credits[cid]), daemon=True).start()
    elif what == "flood":
        threading.Thread(target=flood, args=(cid, int(args[0])), daemon=True).start()
    elif what == "flood-unopened":
        threading.Thread(target=flood, args=(cid + 1_000_000, int(args[0])), daemon=True).start()
        exit_ok(cid)
    elif what == "exit-json":
        send(frame(cid, EXIT, args[0].encode()))
    elif what == "error-json":
        send(frame(cid, ERROR, args[0].encode()))
    elif what == "unknown-type":
        send(frame(cid, 200, b"?"))
        send(frame(cid, STDOUT, b"after"))
        exit_ok(cid)
    elif what == "hello":
        send(frame(0, HELLO, json.dumps({"version": 1, "boot": "rogue-again"}).encode()))
    elif what == "bad-length":
        send(struct.pack(">I", int(args[0])) + b"\xff" * 16)
    elif what == "silent":
        pass


send(frame(0, HELLO, json.dumps({"version": 1, "boot": "rogue"}).encode()))
buf = b""
while True:
    data = conn.recv(65536)
    if not data:
        break
    buf += data
    while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
        (length,) = struct.unpack(">I", buf[:4])
        cid, kind = struct.unpack(">IB", buf[4:9])
        payload, buf = buf[9 : 4 + length], buf[4 + length :]
        if kind == PING:
            send(frame(cid, PONG, json.dumps({"boot": "rogue", "time": time.time()}).encode()))
        elif kind == OPEN:
            start(cid, json.loads(payload)["argv"])
        elif kind in (ACK, CLOSE) and cid in credits:
            credit = credits[cid]
            with credit.cond:
                if kind == ACK:
                    credit.unacked -= json.loads(payload)["bytes"]
                else:
                    credit.closed = True
                credit.cond.notify()
