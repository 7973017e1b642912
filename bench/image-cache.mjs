// Image cache bench: create → Running of a group whose image is large (build/images/big.tar:
// busybox + 4 × 56 MiB incompressible layers, pushed to the stack's local registry) in three
// cases, interleaved round by round so machine noise hits them alike:
//   (a) no cache:  the image is removed from containerd first, so the pull is included;
//   (b) cache:     the image is removed, then CreateImageCache pulls it (not timed) until
//                  Ready; the group names the cache with ImageSnapshotId;
//   (c) present:   the image is in containerd already (left by (a)): the baseline.
// --smoke uses the small busybox image and 1 round.
//
//   node bench/image-cache.mjs [--smoke] [--out FILE]
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { $Eci, REGION, REPO_ROOT, sleep } from '../tests/integration/lib/stack.mjs';
import { parseArgs, row, writeResult } from './lib/stats.mjs';
import {
  POLL_MS, createToRunning, deleteAndWait, patientClient, serverBinary, withStack,
} from './lib/groups.mjs';

const args = parseArgs('image-cache');
const ROUNDS = args.smoke ? 1 : 5;

// The big image archive, built on demand (scripts/bench builds it before the benches run).
function bigArchive() {
  const dir = process.env.OPENECI_IMAGES_DIR ?? path.join(REPO_ROOT, 'build/images');
  const file = path.join(dir, 'big.tar');
  if (!fs.existsSync(file)) {
    execFileSync(path.join(REPO_ROOT, 'scripts/images/build.sh'), [dir, 'big'], { stdio: 'inherit' });
  }
  return file;
}

// The layer digests of `image` as the stack's open registry serves it.
async function layerDigests(image) {
  const [, host, repo, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(image);
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, ' +
      'application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (!res.ok) throw new Error(`manifest of ${image}: HTTP ${res.status}`);
  return (await res.json()).layers.map((l) => l.digest);
}

// Removes every containerd name of `image` (tag, repo digest, image id all point to one
// manifest digest) synchronously with its snapshots, then makes sure none of its layer blobs
// is left in the content store (removing stragglers): the next use must pull every byte.
async function removeImage(stack, image, layers) {
  const rows = (await stack.ctr(['images', 'ls'])).split('\n').slice(1).filter(Boolean)
    .map((l) => l.trim().split(/\s+/));
  const digest = rows.find(([ref]) => ref === image)?.[2];
  const refs = digest ? rows.filter((r) => r[2] === digest).map(([ref]) => ref) : [];
  if (refs.length) await stack.ctr(['images', 'rm', '--sync', ...refs], { timeoutMs: 120000 });
  const content = () => stack.ctr(['content', 'ls', '-q']).then((t) => new Set(t.split('\n')));
  const have = await content();
  const left = layers.filter((d) => have.has(d));
  if (left.length) {
    await stack.ctr(['content', 'rm', ...left]);
    const still = await content();
    if (left.some((d) => still.has(d))) throw new Error(`cannot remove layers of ${image}: ${left}`);
  }
  return left.length;
}

async function imagePresent(stack, image) {
  return (await stack.ctr(['images', 'ls', '-q'])).split('\n').includes(image);
}

async function describeCache(sdk, id) {
  const res = await sdk.describeImageCaches(new $Eci.DescribeImageCachesRequest({
    regionId: REGION, imageCacheId: id,
  }));
  return res.body.imageCaches?.[0];
}

async function readyCache(stack, sdk, image, name) {
  const res = await sdk.createImageCache(new $Eci.CreateImageCacheRequest({
    regionId: REGION, imageCacheName: name, image: [image],
  }));
  const id = res.body.imageCacheId;
  const deadline = Date.now() + 300000;
  for (;;) {
    const c = await describeCache(sdk, id);
    if (c?.status === 'Ready') return id;
    if (c?.status === 'Failed' || Date.now() > deadline) {
      throw new Error(`image cache ${id} not Ready: ${JSON.stringify(c)}`);
    }
    await sleep(200);
  }
}

const reasons = (group) => (group.events ?? []).map((e) => e.reason);

await withStack('image-cache', {}, async (stack) => {
  const sdk = patientClient(stack);
  const archive = args.smoke ? stack.imageArchives.busybox : bigArchive();
  const image = args.smoke
    ? stack.publicImage
    : await stack.openRegistry.push(archive, 'bench/big:1.0');
  const mib = fs.statSync(archive).size / 2 ** 20;
  const layers = await layerDigests(image);
  let stragglers = 0; // layer blobs `ctr images rm --sync` left behind (removed by hand)
  const samples = { none: [], cache: [], present: [] };
  const request = (name, over = {}) => stack.groupRequest(name, {
    container: [stack.mainContainer({ image, imagePullPolicy: 'IfNotPresent' })],
    ...over,
  });

  for (let round = 0; round < ROUNDS; round++) {
    // (a) no cache: pull included.
    stragglers += await removeImage(stack, image, layers);
    let r = await createToRunning(stack, request(`bench-nocache-${round}`));
    if (!reasons(r.group).includes('Pulling')) {
      throw new Error(`no-cache group ${r.id} did not pull: ${reasons(r.group)}`);
    }
    samples.none.push(r.ms);
    await deleteAndWait(stack, r.id);

    // (c) present: what (a) pulled.
    if (!(await imagePresent(stack, image))) throw new Error(`${image} not present after a pull`);
    r = await createToRunning(stack, request(`bench-present-${round}`));
    if (reasons(r.group).includes('Pulling')) throw new Error(`present-image group ${r.id} pulled`);
    samples.present.push(r.ms);
    await deleteAndWait(stack, r.id);

    // (b) a Ready cache, built from nothing.
    stragglers += await removeImage(stack, image, layers);
    const cacheId = await readyCache(stack, sdk, image, `bench-cache-${round}`);
    r = await createToRunning(stack, request(`bench-cache-${round}`, { imageSnapshotId: cacheId }));
    const rs = reasons(r.group);
    if (!rs.includes('ImageCacheHit') || rs.includes('Pulling')) {
      throw new Error(`cached group ${r.id} did not start from cache ${cacheId}: ${rs}`);
    }
    samples.cache.push(r.ms);
    await deleteAndWait(stack, r.id);
    await sdk.deleteImageCache(new $Eci.DeleteImageCacheRequest({
      regionId: REGION, imageCacheId: cacheId,
    }));
    console.error(`# image-cache: round ${round + 1}/${ROUNDS}: none ${samples.none.at(-1).toFixed(0)} ms, ` +
      `present ${samples.present.at(-1).toFixed(0)} ms, cache ${samples.cache.at(-1).toFixed(0)} ms`);
  }

  const present = row('(c) image already present', samples.present);
  const none = row('(a) no cache: pull from the local registry included', samples.none, {
    baseline: present,
    extra: { image_mib: Number(mib.toFixed(1)) },
  });
  // What the pull adds over the present image, as a rate.
  const pullMs = none.p50 - present.p50;
  none.extra.pull_mib_per_s = pullMs > 0 ? Number((mib / (pullMs / 1000)).toFixed(1)) : null;
  const cache = row('(b) Ready image cache (ImageSnapshotId)', samples.cache, { baseline: present });
  writeResult(args.out, {
    name: 'image-cache',
    title: `Image cache: create → Running of a ${mib.toFixed(0)} MiB image`,
    smoke: args.smoke,
    notes: [
      `Image: ${args.smoke ? 'busybox (smoke)' : 'build/images/big.tar: busybox + 4 layers of 56 MiB ' +
        'from /dev/urandom (gzip cannot shrink them)'}, ${mib.toFixed(1)} MiB compressed, served ` +
        'by docker-registry on 127.0.0.1 (no network cost: the pull figure is unpack-bound).',
      `Create → Running: from just before CreateContainerGroup until DescribeContainerGroups ` +
        `(polled every ${POLL_MS} ms) says Running. ${ROUNDS} rounds, cases interleaved a, c, b.`,
      '(a) and (b) start with the image removed from containerd (every name, content and ' +
        'snapshots, `ctr images rm --sync`; layer blobs still in the content store after that ' +
        `were removed by hand: ${stragglers} times), so every byte is pulled again. ` +
        '(b) builds the cache first, untimed; every (b) group had an ImageCacheHit event and no Pulling event, every (a) group a Pulling event.',
      'A Ready cache is the image pinned in containerd, so (b) is expected to match (c): what ' +
        'the cache buys is moving the pull out of the create path.',
      `Server: ${path.relative(REPO_ROOT, serverBinary())}.`,
    ],
    rows: [present, none, cache],
    charts: [{
      file: 'image-cache-latency.png',
      title: `Image cache: create → Running, ${mib.toFixed(0)} MiB image (${ROUNDS} rounds)`,
      kind: 'cdf',
      xlabel: 'ms',
      series: [
        { label: '(a) no cache (pull)', samples: samples.none },
        { label: '(b) Ready image cache', samples: samples.cache },
        { label: '(c) image present', samples: samples.present },
      ],
    }],
  });
});
