/**
 * What the VM image gives a learner beyond Docker itself, on a real lab: an unknown name fails at
 * once with "no such name" (the VM's own resolver, dnsmasq on 10.254.254.254, answers NXDOMAIN) in
 * the VM, in containers on the default bridge, with --network host and through Docker's embedded DNS
 * on a user-defined network, which still resolves container names and aliases; busybox's `wget -T`
 * works; root's login shell loads Tab completion at the first Tab, not at start; conntrack is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../engine/sandbox/api.ts';
import { startLab } from '../../engine/sandbox/lab.ts';

let lab: Lab;

/**
 * How each lookup ends, as glibc's getaddrinfo says it: "found" or its error (perl is in the VM and
 * in debian). EAI_NONAME is the resolver's "no such name"; a server that never answers gives EAI_AGAIN.
 */
const LOOKUP = `for (@ARGV) { my ($e) = Socket::getaddrinfo($_, 80); print $e ? "$e\\n" : "found\\n" }`;
const lookup = (names: string) => `perl -MSocket /root/lookup.pl ${names}`;
const inDebian = (net: string, names: string) =>
  `docker run --rm --network ${net} -v /root/lookup.pl:/root/lookup.pl:ro debian ${lookup(names)}`;
const NXDOMAIN = 'Name or service not known';

const run = async (script: string) => {
  const r = await lab.host('host1').exec(script, { timeoutMs: 240_000 });
  return { ...r, out: r.stdout + r.stderr };
};

beforeAll(async () => {
  lab = await startLab({ hosts: 1, label: 'image test' });
  await run(`cat > /root/lookup.pl <<'EOF'\n${LOOKUP}\nEOF`);
});
afterAll(async () => {
  await lab?.down();
});

describe('an unknown name', () => {
  it('in the VM: the local resolver answers NXDOMAIN, so getaddrinfo, ping and curl say "not found"', async () => {
    const r = await run(
      [
        lookup('nosuch.example'),
        'busybox nslookup nosuch.example 2>&1',
        'ping -c1 nosuch.example 2>&1; echo "ping=$?"',
        'curl -sS http://nosuch.example/ 2>&1; echo "curl=$?"',
        'grep -v "^#" /etc/resolv.conf',
      ].join('; '),
    );
    expect(r.out).toContain(NXDOMAIN + '\n');
    expect(r.out).toMatch(/Server:\s+10\.254\.254\.254/);
    expect(r.out).toContain("can't find nosuch.example: NXDOMAIN");
    expect(r.out).toContain('ping: nosuch.example: Name or service not known');
    expect(r.out).toContain('curl: (6) Could not resolve host: nosuch.example');
    expect(r.out).toContain('nameserver 10.254.254.254');
    // A name the lab knows still comes from /etc/hosts.
    expect((await run(lookup('host1'))).stdout).toBe('found\n');
  });

  it('in containers on the default bridge and with --network host', async () => {
    const r = await run(
      [
        'docker run --rm busybox nslookup nosuch.example 2>&1',
        inDebian('bridge', 'nosuch.example'),
        'docker run --rm --network host busybox nslookup nosuch.example 2>&1',
      ].join('; '),
    );
    expect(r.out.match(/can't find nosuch\.example: NXDOMAIN/g)?.length).toBeGreaterThanOrEqual(2);
    expect(r.out.match(/Server:\s+10\.254\.254\.254/g)).toHaveLength(2);
    expect(r.out).toContain(NXDOMAIN + '\n');
  });

  it("on a user-defined network: Docker's DNS resolves names and aliases, and says NXDOMAIN for the rest", async () => {
    const r = await run(
      [
        'docker network create imgnet >/dev/null',
        'docker run -d --name imga --network imgnet --network-alias web busybox sleep 300 >/dev/null',
        inDebian('imgnet', 'imga web nosuch.example'),
        'docker run --rm --network imgnet busybox nslookup nosuch.example 2>&1',
        'docker rm -f imga >/dev/null; docker network rm imgnet >/dev/null',
      ].join('; '),
    );
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['found', 'found', NXDOMAIN]);
    expect(r.out).toMatch(/Server:\s+127\.0\.0\.11/);
    expect(r.out).toContain("can't find nosuch.example: NXDOMAIN");
  });
});

describe('the images and the shell', () => {
  it("busybox's wget takes -T (a timeout) and fetches", async () => {
    const r = await run(
      'docker run --rm busybox wget -T 5 -q -O- http://10.254.254.254:3142/debian/Release; echo "wget=$?"',
    );
    expect(r.out).toContain('Suite: bookworm');
    expect(r.out).toContain('wget=0');
  });

  it('a login shell does not load Tab completion until the first Tab, which then completes', async () => {
    const start = await run(
      `bash -lic 'echo "\${BASH_COMPLETION_VERSINFO-none}"; complete -p -D' 2>/dev/null`,
    );
    expect(start.stdout).toBe('none\ncomplete -F __dl_load_completion -D\n');
    // A real terminal: type `ls /et` and Tab, then wait for the completed word (no fixed delay).
    const tab = await run(`python3 - <<'EOF'
import os, pty, select, time
pid, fd = pty.fork()
if pid == 0:
    os.chdir('/root')
    os.execv('/bin/bash', ['bash', '-l'])
out = b''
def until(marker):
    global out
    deadline = time.time() + 120
    while marker not in out and time.time() < deadline:
        if select.select([fd], [], [], 1)[0]:
            out += os.read(fd, 65536)
    return marker in out
until(b'\\x1b]133;B\\x07')
os.write(fd, b'ls /et\\t')
print('completed' if until(b'ls /etc/') else 'not completed: %r' % out[-300:])
os.write(fd, b'\\x03exit\\r')
EOF`);
    expect(tab.stdout).toBe('completed\n');
  });

  it('has conntrack and /proc/net/nf_conntrack (lesson 14)', async () => {
    const r = await run(
      'conntrack -L >/dev/null 2>&1; echo "conntrack=$?"; test -r /proc/net/nf_conntrack && echo proc',
    );
    expect(r.stdout).toBe('conntrack=0\nproc\n');
  });
});
