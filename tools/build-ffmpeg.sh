#!/usr/bin/env bash
# Build the small ffmpeg that the Linux bundle ships for MP4 turntables.
#
#   tools/build-ffmpeg.sh [OUT]        (default build/ffmpeg-min/ffmpeg; skipped when it exists)
#
# imageio-ffmpeg's wheel carries a 76 MB ffmpeg with every codec; the app only
# ever runs two commands through it (mesh/turntable.py, via imageio-ffmpeg):
#   encode: raw RGB frames on a pipe -> H.264 (libx264) in an MP4 file
#   count:  read an MP4 back and count its frames (-vf null -f null)
# so this ffmpeg has exactly that: rawvideo/mov demuxers, rawvideo/h264
# decoders, libx264 and wrapped_avframe encoders, mp4/null muxers, file/pipe
# protocols, the scale/format/null filters. About 3 MB.
#
# Sources: Debian 12's own source packages (FFmpeg 5.1, x264 0.164), fetched
# from deb.debian.org and checked against the sha256 sums in Debian's Sources
# index. With libx264 the binary is GPL-2.0-or-later, like the one in the
# imageio-ffmpeg wheel: a separate program the app runs, not linked into it;
# docs/packaging.md says where its source is. Needs a C compiler, make and nasm
# (./bootstrap.sh bundle installs them).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
OUT=${1:-build/ffmpeg-min/ffmpeg}
[ -x "$OUT" ] && { echo "ffmpeg already built: $OUT"; exit 0; }

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
FFMPEG_TAR=ffmpeg_5.1.9.orig.tar.xz
FFMPEG_SHA=d9b593bb2ba93d4b50f74177e0cdcd41747e708596367deed0c30348a71dd176
X264_TAR=x264_0.164.3095+gitbaee400.orig.tar.gz
X264_SHA=8b237e94b08c196a1da22f2f25875f10be4cff3648df4eeff21e00da8f683fc2

WORK=$(dirname "$OUT")/src
mkdir -p "$WORK"
fetch() {  # fetch FILE SHA256 POOL_DIR
  local file=$1 sha=$2 dir=$3
  if ! echo "$sha  $WORK/$file" | sha256sum -c --quiet 2>/dev/null; then
    echo "==> fetching $file"
    curl -fsSL -o "$WORK/$file" "$MIRROR/pool/main/$dir/$file" || {
      echo "Could not fetch $MIRROR/pool/main/$dir/$file: Debian replaces a source" \
        "when it updates it; update the name and sha256 here from dists/bookworm/main/source/Sources.xz." >&2
      exit 1
    }
    echo "$sha  $WORK/$file" | sha256sum -c --quiet
  fi
}
fetch "$X264_TAR" "$X264_SHA" x/x264
fetch "$FFMPEG_TAR" "$FFMPEG_SHA" f/ffmpeg

JOBS=$(nproc)
LOG=$WORK/build.log
: >"$LOG"
quiet() { "$@" >>"$LOG" 2>&1 || { tail -30 "$LOG" >&2; echo "failed: $* (log: $LOG)" >&2; exit 1; }; }
PREFIX=$(readlink -f "$WORK")/prefix
rm -rf "$WORK/x264" "$WORK/ffmpeg" "$PREFIX"
mkdir -p "$WORK/x264" "$WORK/ffmpeg"
tar -xzf "$WORK/$X264_TAR" -C "$WORK/x264" --strip-components=1
tar -xJf "$WORK/$FFMPEG_TAR" -C "$WORK/ffmpeg" --strip-components=1

echo "==> x264 (static library, 8-bit)"
(cd "$WORK/x264" &&
  quiet ./configure --prefix="$PREFIX" --enable-static --enable-pic --disable-cli \
    --disable-opencl --bit-depth=8 --chroma-format=420 &&
  quiet make -j"$JOBS" && quiet make install-lib-static)

echo "==> ffmpeg (encode raw RGB to H.264 MP4, count an MP4's frames)"
(cd "$WORK/ffmpeg" && export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" &&
  quiet ./configure \
    --prefix="$PREFIX" --pkg-config-flags=--static \
    --enable-gpl --enable-libx264 \
    --disable-everything --disable-autodetect --disable-network --disable-doc \
    --disable-ffplay --disable-ffprobe --disable-debug --enable-small \
    --disable-swresample --disable-postproc --disable-avdevice \
    --enable-protocol=file,pipe \
    --enable-demuxer=rawvideo,mov --enable-muxer=mp4,null \
    --enable-decoder=rawvideo,h264 --enable-encoder=libx264,wrapped_avframe \
    --enable-parser=h264 \
    --enable-filter=null,format,scale,buffer,buffersink,fps,trim,setpts \
    --extra-ldflags="-L$PREFIX/lib" --extra-cflags="-I$PREFIX/include" &&
  quiet make -j"$JOBS" ffmpeg)

mkdir -p "$(dirname "$OUT")"
strip -o "$OUT" "$WORK/ffmpeg/ffmpeg"
echo "==> $OUT: $(du -h "$OUT" | cut -f1), $("$OUT" -hide_banner -version | head -1)"
