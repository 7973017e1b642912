#!/usr/bin/env bash
# Builds OpenECI's offline OCI image archives (no registry, no internet needed).
#
#   scripts/images/build.sh [OUT_DIR] [big]   (default OUT_DIR: build/images)
#
# Produces, idempotently (an archive is rebuilt only when its inputs are newer):
#   OUT_DIR/pause.tar    static tools/pause/pause.c, entrypoint /pause, user 65535
#   OUT_DIR/busybox.tar  busybox-static with one /bin symlink per applet, default cmd `sh`
#   OUT_DIR/tls.tar      busybox plus Debian's `openssl` binary and its libraries, with a
#                        self-signed certificate made at build time (/etc/tls/cert.pem,
#                        /etc/tls/key.pem), for HTTPS probe tests: `openssl s_server -www`
#   OUT_DIR/big.tar      only when asked for with `big` (scripts/bench does; scripts/test never
#                        needs it): busybox plus 4 layers of 56 MiB random (incompressible)
#                        data each, /data/blob-N, ~225 MiB in all, for bench/image-cache.mjs
#
# Each archive is an OCI image layout packed as a tar ("oci-archive"). Its one manifest carries
#   org.opencontainers.image.ref.name = <tag>          (what skopeo and OCI tools read)
#   io.containerd.image.name          = <full name>    (what `ctr images import` names it)
# with the full names localhost/openeci/pause:1.0 and localhost/openeci/busybox:1.0
# (and localhost/openeci/tls:1.0, localhost/openeci/big:1.0).
#
# Import into containerd (CRI namespace; --address is the socket of your containerd):
#   ctr --address SOCK -n k8s.io images import OUT_DIR/pause.tar
#     -> localhost/openeci/pause:1.0
#   ctr --address SOCK -n k8s.io images import OUT_DIR/busybox.tar
#     -> localhost/openeci/busybox:1.0
# Push to a local registry:
#   skopeo copy --dest-tls-verify=false oci-archive:OUT_DIR/pause.tar \
#     docker://127.0.0.1:PORT/openeci/pause:1.0
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "${script_dir}/../.." && pwd)"
out_dir="${1:-${repo_dir}/build/images}"
shift || true
want_big=0
for target in "$@"; do
  case "${target}" in
    big) want_big=1 ;;
    *) echo "build.sh: unknown opt-in target ${target} (known: big)" >&2; exit 2 ;;
  esac
done
mkdir -p "${out_dir}"
out_dir="$(cd "${out_dir}" && pwd)"

# Installs what is missing (once); a fresh machine with the packages installed needs nothing.
ensure_tools() {
  local missing=()
  command -v umoci >/dev/null || missing+=(umoci)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v gcc >/dev/null || missing+=(gcc)
  command -v jq >/dev/null || missing+=(jq)
  [[ -x /bin/busybox ]] || missing+=(busybox-static)
  if ((${#missing[@]})); then
    echo "build.sh: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
  fi
  # Static linking needs libc.a (libc6-dev); gcc alone may not pull it in.
  if [[ ! -e /usr/lib/x86_64-linux-gnu/libc.a && ! -e /usr/lib/libc.a ]] &&
     ! gcc -print-file-name=libc.a | grep -q /; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y libc6-dev >&2
  fi
}

# up_to_date OUT INPUT...: true when OUT exists and is newer than every input.
up_to_date() {
  local out="$1"; shift
  [[ -e "${out}" ]] || return 1
  local in
  for in in "$@"; do
    [[ "${in}" -nt "${out}" ]] && return 1
  done
  return 0
}

# pack_image NAME TAG FULL_NAME ROOTFS_FILLER OUT [umoci config args...]
# Builds an image whose rootfs is filled by the function ROOTFS_FILLER (given the rootfs dir).
# The filler may call commit_layer to end a layer there (what it adds after that goes into the
# next one); everything left over becomes the last layer.
pack_image() {
  local name="$1" tag="$2" full="$3" filler="$4" out="$5"; shift 5
  local work
  work="$(mktemp -d "${out_dir}/.${name}.XXXXXX")"
  # umoci unpack creates root-owned files with restrictive modes; clean up on every exit path.
  trap "rm -rf '${work}'" RETURN
  local layout="${work}/layout" bundle="${work}/bundle"
  umoci init --layout "${layout}"
  umoci new --image "${layout}:${tag}"
  umoci unpack --image "${layout}:${tag}" "${bundle}" >/dev/null
  commit_layer() { umoci repack --refresh-bundle --image "${layout}:${tag}" "${bundle}"; }
  "${filler}" "${bundle}/rootfs"
  umoci repack --image "${layout}:${tag}" "${bundle}"
  umoci config --image "${layout}:${tag}" --os linux --architecture amd64 "$@"
  umoci gc --layout "${layout}"
  jq --arg full "${full}" \
    '.manifests |= map(.annotations["io.containerd.image.name"] = $full)' \
    "${layout}/index.json" > "${layout}/index.json.new"
  mv "${layout}/index.json.new" "${layout}/index.json"
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "${layout}" \
    -cf "${out}.tmp" oci-layout index.json blobs
  mv "${out}.tmp" "${out}"
  echo "build.sh: wrote ${out} (${full})" >&2
}

fill_pause() {
  local rootfs="$1"
  install -m 0755 "${work_pause_bin}" "${rootfs}/pause"
}

fill_busybox() {
  local rootfs="$1"
  mkdir -p "${rootfs}/bin" "${rootfs}/tmp" "${rootfs}/etc" "${rootfs}/root" "${rootfs}/www"
  chmod 1777 "${rootfs}/tmp"
  install -m 0755 /bin/busybox "${rootfs}/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [[ "${applet}" == busybox ]] && continue
    ln -sf busybox "${rootfs}/bin/${applet}"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
    > "${rootfs}/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "${rootfs}/etc/group"
}

# busybox plus /usr/bin/openssl with the shared libraries it loads (paths as on the host) and a
# self-signed certificate for 127.0.0.1 made now.
fill_tls() {
  local rootfs="$1"
  fill_busybox "${rootfs}"
  local lib
  mkdir -p "${rootfs}/usr/bin" "${rootfs}/etc/tls" "${rootfs}/usr/lib/ssl"
  install -m 0755 /usr/bin/openssl "${rootfs}/usr/bin/openssl"
  for lib in $(ldd /usr/bin/openssl | grep -o '/[^ ]*'); do
    mkdir -p "${rootfs}$(dirname "${lib}")"
    cp -L "${lib}" "${rootfs}${lib}"
  done
  if [[ -e /usr/lib/ssl/openssl.cnf ]]; then
    cp -L /usr/lib/ssl/openssl.cnf "${rootfs}/usr/lib/ssl/openssl.cnf"
  fi
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj /CN=openeci-test -keyout "${rootfs}/etc/tls/key.pem" \
    -out "${rootfs}/etc/tls/cert.pem" 2>/dev/null
  chmod 0644 "${rootfs}/etc/tls/key.pem"
}

# busybox, then 4 layers of 56 MiB from /dev/urandom (gzip cannot shrink them, so pulls move
# every byte).
fill_big() {
  local rootfs="$1" i
  fill_busybox "${rootfs}"
  mkdir -p "${rootfs}/data"
  for i in 1 2 3 4; do
    commit_layer
    head -c 56M /dev/urandom > "${rootfs}/data/blob-${i}"
  done
}

ensure_tools

pause_src="${repo_dir}/tools/pause/pause.c"
if ! up_to_date "${out_dir}/pause.tar" "${pause_src}" "${BASH_SOURCE[0]}"; then
  work_pause_bin="$(mktemp "${out_dir}/.pause-bin.XXXXXX")"
  gcc -static -Os -s -Wall -Wextra -o "${work_pause_bin}" "${pause_src}"
  pack_image pause 1.0 localhost/openeci/pause:1.0 fill_pause "${out_dir}/pause.tar" \
    --config.entrypoint /pause --config.user 65535
  rm -f "${work_pause_bin}"
fi

if ! up_to_date "${out_dir}/busybox.tar" /bin/busybox "${BASH_SOURCE[0]}"; then
  pack_image busybox 1.0 localhost/openeci/busybox:1.0 fill_busybox "${out_dir}/busybox.tar" \
    --config.cmd sh --config.env PATH=/bin:/usr/bin:/sbin:/usr/sbin --config.workingdir /
fi

if ! up_to_date "${out_dir}/tls.tar" /bin/busybox /usr/bin/openssl "${BASH_SOURCE[0]}"; then
  pack_image tls 1.0 localhost/openeci/tls:1.0 fill_tls "${out_dir}/tls.tar" \
    --config.cmd sh --config.env PATH=/bin:/usr/bin:/sbin:/usr/sbin --config.workingdir /
fi

if ((want_big)) && ! up_to_date "${out_dir}/big.tar" /bin/busybox "${BASH_SOURCE[0]}"; then
  pack_image big 1.0 localhost/openeci/big:1.0 fill_big "${out_dir}/big.tar" \
    --config.cmd sh --config.env PATH=/bin:/usr/bin:/sbin:/usr/sbin --config.workingdir /
fi
