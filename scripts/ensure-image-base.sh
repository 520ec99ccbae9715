#!/usr/bin/env bash
# Makes, once, the base image of Hexgate's operator and agent images: a Debian bookworm root filesystem
# holding openjdk-17-jre-headless, libbpf1 (the agent loads its BPF object through it) and ca-certificates,
# packed as a `docker save`-style tar (manifest.json + config + one gzipped layer), the format Jib takes as
# a `tar://` base. Cached in ~/.cache/hexgate/image-base-<tag>/ (the tag hashes this script, so any change
# here makes a new base) and reused while present. Prints the path of the tar on stdout; progress on stderr.
#
# Why not debootstrap: a minbase bootstrap brings apt, dpkg, perl-base, bash and coreutils, which a JVM
# that never runs another program does not need, and roughly doubles the size of what would be shipped.
# Instead apt resolves the exact dependency closure of the three packages against an empty package
# database (as the Debian-based distroless images do), `apt-get download` fetches those .debs, and their
# data is unpacked as dpkg would. The few things their maintainer scripts would have done, which matter
# here, are done below by hand: the `java` alternative, the CA bundle, Java's cacerts (made by the image's
# own java running ca-certificates-java's tool in a chroot). /var/lib/dpkg/status lists what is inside, so
# image scanners see the packages. No shell in the image.
set -euo pipefail

SUITE=bookworm
PACKAGES=(openjdk-17-jre-headless libbpf1 ca-certificates base-files netbase)
JAVA_HOME_IN_IMAGE=/usr/lib/jvm/java-17-openjdk-amd64
MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
# every file of the base carries this mtime, as Jib's own layers do (epoch + 1 s)
MTIME=@1

tag="$SUITE-$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
cache_root="${HEXGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hexgate}"
dir="$cache_root/image-base-$tag"
out="$dir/base.tar"

if [ -f "$out" ]; then
  echo "$out"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "hexgate: no image base in $dir and not root: unpacking Debian packages with their owners needs root (run scripts/ensure-image-base.sh as root once)" >&2
  exit 3
fi
for tool in apt-get dpkg-deb tar gzip sha256sum chroot; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "hexgate: cannot make the image base: $tool is missing (a Debian-like host is needed)" >&2
    exit 3
  fi
done
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f "$keyring" ]; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-archive-keyring >&2
fi

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$out" ]; then   # another process made it while we waited
  echo "$out"
  exit 0
fi

started=$(date +%s)
work="$dir/work"
rm -rf "$work"
mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial" "$work/apt/parts" "$work/debs" "$work/rootfs"
trap 'umount "$work/rootfs/proc" 2>/dev/null || true' EXIT

# A private apt: bookworm's own indexes whatever the host runs, and an empty package database, so the
# closure is computed from nothing (nothing counts as already installed).
cat > "$work/apt/sources.list" <<EOF
deb [signed-by=$keyring] $MIRROR $SUITE main
deb [signed-by=$keyring] $MIRROR $SUITE-updates main
deb [signed-by=$keyring] $SECURITY_MIRROR $SUITE-security main
EOF
: > "$work/apt/status"
apt_opts=(
  -o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=$work/apt/parts"
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::State::status=$work/apt/status"
  -o "Dir::Cache::archives=$work/apt/archives" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "APT::Architecture=amd64" -o "APT::Architectures=amd64" -o "Acquire::Languages=none"
  -o "APT::Sandbox::User=root"
)
echo "hexgate: image base: reading $SUITE's package indexes..." >&2
apt-get "${apt_opts[@]}" -qq update >&2
mapfile -t closure < <(apt-get "${apt_opts[@]}" install -s --no-install-recommends -qq "${PACKAGES[@]}" \
  | awk '/^Inst /{print $2}')
[ ${#closure[@]} -gt 0 ] || { echo "hexgate: apt resolved no package for ${PACKAGES[*]}" >&2; exit 4; }
echo "hexgate: image base: downloading ${#closure[@]} packages..." >&2
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "${closure[@]}" >&2)

rootfs="$work/rootfs"
# bookworm's merged /usr: the package trees name /lib, /bin... which live under /usr
mkdir -p "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/usr/lib" "$rootfs/usr/lib64" "$rootfs/var/lib/dpkg"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$rootfs/$d"; done
status="$rootfs/var/lib/dpkg/status"
: > "$status"
for deb in "$work"/debs/*.deb; do
  dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink --numeric-owner -C "$rootfs"
  dpkg-deb -f "$deb" | awk 'NR==1{print; print "Status: install ok installed"; next} {print}' >> "$status"
  echo >> "$status"
done

# What the maintainer scripts would have done.
mkdir -p "$rootfs/etc/alternatives"
for tool in java keytool; do
  ln -sfn "$JAVA_HOME_IN_IMAGE/bin/$tool" "$rootfs/etc/alternatives/$tool"
  ln -sfn "/etc/alternatives/$tool" "$rootfs/usr/bin/$tool"
done
# update-ca-certificates: every Mozilla certificate, enabled by default, in one bundle
mkdir -p "$rootfs/etc/ssl/certs/java"
(cd "$rootfs/usr/share/ca-certificates" && find mozilla -name '*.crt' | LC_ALL=C sort) > "$rootfs/etc/ca-certificates.conf"
while read -r crt; do cat "$rootfs/usr/share/ca-certificates/$crt"; done < "$rootfs/etc/ca-certificates.conf" \
  > "$rootfs/etc/ssl/certs/ca-certificates.crt"
# ca-certificates-java: Java's cacerts from the same certificates, by the image's own JVM. The image has
# no locale, so the JVM reads file names as ASCII: it is given copies under ASCII names (which become
# the aliases, as the originals' names would).
mkdir -p "$rootfs/proc" "$rootfs/tmp/cacerts"
while read -r crt; do
  cp "$rootfs/usr/share/ca-certificates/$crt" "$rootfs/tmp/cacerts/$(basename "$crt" | LC_ALL=C tr -c 'A-Za-z0-9._=\n-' '_')"
done < "$rootfs/etc/ca-certificates.conf"
mount -t proc proc "$rootfs/proc"
(cd "$rootfs/tmp/cacerts" && LC_ALL=C ls) | sed 's|^|+/tmp/cacerts/|' \
  | chroot "$rootfs" "$JAVA_HOME_IN_IMAGE/bin/java" -Xshare:off -jar /usr/share/ca-certificates-java/ca-certificates-java.jar \
      -storepass changeit >/dev/null
umount "$rootfs/proc"
rm -rf "$rootfs/tmp/cacerts"
[ -s "$rootfs/etc/ssl/certs/java/cacerts" ] || { echo "hexgate: Java's cacerts was not made" >&2; exit 4; }

# Users: root, and nonroot (65532, the distroless convention) for the operator.
cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
nonroot:x:65532:
nogroup:x:65534:
EOF
chmod 644 "$rootfs/etc/passwd" "$rootfs/etc/group"
mkdir -p "$rootfs/root" "$rootfs/home/nonroot" "$rootfs/tmp"
chmod 700 "$rootfs/root" "$rootfs/home/nonroot"
chown 65532:65532 "$rootfs/home/nonroot"
chmod 1777 "$rootfs/tmp"

# No documentation beyond the licences (the copyright files stay: they go with the binaries), no
# manuals, translations or caches.
find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/locale" "$rootfs/usr/share/lintian" \
  "$rootfs/usr/share/bug" "$rootfs/var/cache/"* "$rootfs/var/log/"*

# Pack: one layer with sorted names, fixed mtimes and the packages' own numeric owners.
pack="$work/pack"
mkdir -p "$pack"
(cd "$rootfs" && LC_ALL=C find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort) > "$work/top"
tar -C "$rootfs" --sort=name --mtime="$MTIME" --numeric-owner --format=gnu -cf "$pack/layer.tar" -T "$work/top"
diff_id="sha256:$(sha256sum "$pack/layer.tar" | cut -d' ' -f1)"
gzip -n -6 "$pack/layer.tar"
versions=$(awk '/^Package: /{p=$2} /^Version: /{print p "=" $2}' "$status" | LC_ALL=C sort | tr '\n' ' ')
cat > "$pack/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:01Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=$JAVA_HOME_IN_IMAGE","LANG=C.UTF-8"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:01Z","created_by":"scripts/ensure-image-base.sh","comment":"Debian $SUITE: ${versions% }"}]}
EOF
cat > "$pack/manifest.json" <<EOF
[{"Config":"config.json","RepoTags":["hexgate.local/image-base:$tag"],"Layers":["layer.tar.gz"]}]
EOF
tar -C "$pack" --sort=name --mtime="$MTIME" --owner=0 --group=0 --numeric-owner -cf "$out.tmp" \
  manifest.json config.json layer.tar.gz
mv "$out.tmp" "$out"
rm -rf "$work"
echo "hexgate: image base made in $(( $(date +%s) - started )) s: ${#closure[@]} packages, $(du -h "$out" | cut -f1) packed" >&2
echo "$out"
