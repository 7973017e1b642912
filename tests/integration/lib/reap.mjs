// Last-resort cleanup of what a test stack may leave behind when the server did not clean up
// (crash, SIGKILL, a test that failed half way). Everything here is synchronous so it can also
// run from a process 'exit' handler. It only touches things it can attribute to one stack:
//   - the PIDs the stack recorded (server, registries),
//   - processes whose command line mentions the stack's private directory (its containerd and
//     the containerd shims, whose -address is the private socket),
//   - pod cgroups /sys/fs/cgroup/<controller>/openeci/<group id> of the groups it created,
//   - mounts below the private directory,
//   - after the whole run (reapRunDir), pod networks that a killed containerd left on the
//     stacks' bridge: network namespace, NAT chain, CNI cache (reapPodNetworks),
//   - the private directory itself.
//
// CLI: node lib/reap.mjs RUN_DIR  reaps every stack recorded in RUN_DIR (see stack.mjs), used
// by scripts/test after the suite, whatever happened to it.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const CGROUP_ROOT = '/sys/fs/cgroup';

// True while the process exists and is not a zombie (an exited child whose parent has not
// reaped it yet, e.g. a test process under a stopped runner).
export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function killHard(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// PIDs (other than ours) whose NUL-separated command line contains `needle`.
export function pidsMentioning(needle) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) out.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return out;
}

export function groupCgroupDirs(groupId) {
  const dirs = [];
  let controllers = [];
  try {
    controllers = fs.readdirSync(CGROUP_ROOT);
  } catch {
    return dirs;
  }
  for (const c of controllers) {
    const d = path.join(CGROUP_ROOT, c, 'openeci', groupId);
    try {
      if (fs.statSync(d).isDirectory()) dirs.push(d);
    } catch {
      // not there
    }
  }
  return dirs;
}

function walkDirsDeepestFirst(dir) {
  const out = [];
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isDirectory()) out.push(...walkDirsDeepestFirst(path.join(dir, e.name)));
  }
  out.push(dir);
  return out;
}

// Kills every process in the group's pod cgroups and removes the cgroup directories.
export function reapGroupCgroups(groupId) {
  const dirs = groupCgroupDirs(groupId);
  for (const d of dirs) {
    for (const sub of walkDirsDeepestFirst(d)) {
      try {
        for (const line of fs.readFileSync(path.join(sub, 'cgroup.procs'), 'utf8').split('\n')) {
          if (line.trim()) killHard(Number(line));
        }
      } catch {
        // no such file
      }
    }
  }
  if (dirs.length) sleepSync(200);
  for (const d of dirs) {
    for (const sub of walkDirsDeepestFirst(d)) {
      try {
        fs.rmdirSync(sub);
      } catch {
        // busy or gone
      }
    }
  }
  return dirs;
}

// Mount points at or below `dir`, deepest first (from /proc/self/mountinfo, octal-unescaped).
export function mountsBelow(dir) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => unescape(l.split(' ')[4]))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

// Reaps one stack. rec: {dir, serverPid, pids: [..], groups: [..], bridge}. Returns a list of
// things it had to clean (empty when the stack had already cleaned up after itself).
export function reapStack(rec) {
  const done = [];
  if (rec.serverPid && alive(rec.serverPid)) {
    // A SIGTERMed server stops its pods and containerd and cleans the host itself.
    try {
      process.kill(rec.serverPid, 'SIGTERM');
    } catch {
      // gone
    }
    for (let i = 0; i < 150 && alive(rec.serverPid); i++) sleepSync(200);
    if (alive(rec.serverPid)) {
      killHard(rec.serverPid);
      done.push(`server ${rec.serverPid} ignored SIGTERM for 30 s: killed`);
      // What its clean exit would have removed.
      if (rec.bridge) {
        try {
          execFileSync('ip', ['link', 'delete', rec.bridge], { stdio: 'ignore' });
          done.push(`deleted bridge ${rec.bridge}`);
        } catch {
          // not there
        }
      }
      rec.removeCgroupParent = true;
    } else {
      done.push(`stopped server ${rec.serverPid} (SIGTERM)`);
    }
  }
  if (rec.bridge && !(rec.serverPid && alive(rec.serverPid)) && !linkExists(rec.bridge)) {
    // The server's security-group rules (controller/sg_firewall.h), which its clean exit removes.
    // Only once the bridge is gone: while it exists another stack on it owns the same table.
    const table = `openeci_${rec.bridge.replace(/[^A-Za-z0-9]/g, '_')}`;
    try {
      execFileSync('nft', ['delete', 'table', 'inet', table], { stdio: 'ignore' });
      done.push(`deleted nft table inet ${table}`);
    } catch {
      // not there
    }
  }
  for (const pid of rec.pids ?? []) {
    if (alive(pid)) {
      killHard(pid);
      done.push(`killed recorded pid ${pid}`);
    }
  }
  if (rec.dir) {
    for (let round = 0; round < 3; round++) {
      const pids = pidsMentioning(rec.dir);
      if (!pids.length) break;
      pids.forEach(killHard);
      done.push(`killed ${pids.length} process(es) mentioning ${rec.dir}`);
      sleepSync(200);
    }
  }
  for (const g of rec.groups ?? []) {
    const dirs = reapGroupCgroups(g);
    if (dirs.length) done.push(`removed cgroups of ${g}`);
  }
  if (rec.removeCgroupParent) {
    // Only succeeds when empty, i.e. when no other server has pods under it.
    for (const c of fs.readdirSync(CGROUP_ROOT)) {
      try {
        fs.rmdirSync(path.join(CGROUP_ROOT, c, 'openeci'));
      } catch {
        // busy, absent or not a hierarchy
      }
    }
  }
  if (rec.dir && fs.existsSync(rec.dir)) {
    for (const m of mountsBelow(rec.dir)) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
        done.push(`unmounted ${m}`);
      } catch {
        // already gone
      }
    }
    try {
      fs.rmSync(rec.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      done.push(`could not remove ${rec.dir}: ${e.message}`);
    }
  }
  return done;
}

const CNI_RESULTS = '/var/lib/cni/results';

const linkExists = (name) => run('ip', ['link', 'show', name]) !== null;

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

// Pod networks of `bridge` that outlived their containerd (it was killed while a sandbox
// existed, so CNI DEL never ran): the network namespace and its veth, the NAT chain the bridge
// plugin added, and CNI's cached result. Only when no stack on that bridge is up (the bridge
// is gone), and only what CNI's cache attributes to that network: a namespace is removed when
// no process is left in it and its address is one CNI gave out on `bridge`.
export function reapPodNetworks(bridge) {
  const done = [];
  if (!bridge || linkExists(bridge)) return done;
  let files = [];
  try {
    files = fs.readdirSync(CNI_RESULTS);
  } catch {
    return done;
  }
  const leaked = new Map(); // sandbox id -> IPs CNI gave it
  for (const f of files) {
    const m = new RegExp(`^${bridge}-([0-9a-f]{64})-eth0$`).exec(f);
    if (!m) continue;
    let ips = [];
    try {
      const cached = JSON.parse(fs.readFileSync(path.join(CNI_RESULTS, f), 'utf8'));
      ips = (cached.result?.ips ?? []).map((ip) => String(ip.address).split('/')[0]);
    } catch {
      // unreadable: still remove the file below
    }
    leaked.set(m[1], ips);
  }
  if (!leaked.size) return done;
  const ips = new Set([...leaked.values()].flat());
  for (const line of (run('ip', ['netns', 'list']) ?? '').split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns.startsWith('cni-') || (run('ip', ['netns', 'pids', ns]) ?? 'x').trim()) continue;
    const addrs = run('ip', ['-n', ns, '-4', '-o', 'addr', 'show']) ?? '';
    if (![...ips].some((ip) => addrs.includes(` ${ip}/`))) continue;
    if (run('ip', ['netns', 'delete', ns]) !== null) done.push(`deleted network namespace ${ns}`);
  }
  const nat = run('iptables', ['-t', 'nat', '-L', 'POSTROUTING', '-n', '--line-numbers']) ?? '';
  const rules = nat.split('\n')
    .map((l) => /^(\d+)\s+(CNI-[0-9a-f]+)\s.*id: "([0-9a-f]{64})"/.exec(l))
    .filter((m) => m && leaked.has(m[3]))
    .map((m) => ({ num: Number(m[1]), chain: m[2] }))
    .sort((a, b) => b.num - a.num);
  for (const r of rules) {
    run('iptables', ['-t', 'nat', '-D', 'POSTROUTING', String(r.num)]);
    run('iptables', ['-t', 'nat', '-F', r.chain]);
    if (run('iptables', ['-t', 'nat', '-X', r.chain]) !== null) {
      done.push(`deleted NAT chain ${r.chain}`);
    }
  }
  for (const id of leaked.keys()) {
    for (const f of [`${bridge}-${id}-eth0`, `cni-loopback-${id}-lo`]) {
      fs.rmSync(path.join(CNI_RESULTS, f), { force: true });
    }
  }
  done.push(`removed CNI results of ${leaked.size} sandbox(es) on ${bridge}`);
  return done;
}

// Each stack writes RUN_DIR/<name>-<pid>.json: {dir, pids, groups, done}.
export function reapRunDir(runDir) {
  const report = [];
  const bridges = new Set();
  let files = [];
  try {
    files = fs.readdirSync(runDir).filter((f) => f.endsWith('.json'));
  } catch {
    return report;
  }
  for (const f of files) {
    let rec;
    try {
      rec = JSON.parse(fs.readFileSync(path.join(runDir, f), 'utf8'));
    } catch {
      continue;
    }
    if (rec.testPid && alive(rec.testPid)) {
      // The test file's own process: ask it to tear down itself first.
      try {
        process.kill(rec.testPid, 'SIGTERM');
      } catch {
        // gone
      }
      for (let i = 0; i < 300 && alive(rec.testPid); i++) sleepSync(200);
      if (alive(rec.testPid)) killHard(rec.testPid);
    }
    const done = reapStack(rec);
    if (done.length) report.push(`${f}: ${done.join('; ')}`);
    if (rec.bridge) bridges.add(rec.bridge);
  }
  // Every stack of the run is down now: pod networks a killed containerd left on their bridges.
  for (const bridge of bridges) report.push(...reapPodNetworks(bridge));
  return report;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const runDir = process.argv[2];
  if (!runDir) {
    console.error('usage: node reap.mjs RUN_DIR');
    process.exit(2);
  }
  const report = reapRunDir(runDir);
  for (const line of report) console.error(`reap: ${line}`);
  process.exit(0);
}
