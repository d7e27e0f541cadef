#!/usr/bin/env bash
# Installs the Debian packages a target needs, when their commands are missing.
#   scripts/system-deps.sh test    tools the test suite calls (zip; hashdeep for the inventory audit; chromium for the report tests; mkfs/mtools/ntfs-3g/wimtools/sfdisk/ewf-tools/genisoimage/cryptsetup for the disk-image fixtures; qemu-img for the virtual-disk fixtures; sleuthkit's fls as the oracle for deleted files)
#   scripts/system-deps.sh demo    chromium, so the demo can print its report as PDF
#   scripts/system-deps.sh bench   peers and baselines of the benchmarks
set -euo pipefail
# command -> Debian package that provides it
declare -A package_of=(
  [zip]=zip [hashdeep]=hashdeep [sqlite3]=sqlite3 [chromium]=chromium
  [mkfs.vfat]=dosfstools [mcopy]=mtools [mkfs.ext4]=e2fsprogs [debugfs]=e2fsprogs
  [mkntfs]=ntfs-3g [ntfscp]=ntfs-3g [sfdisk]=fdisk [ewfacquire]=ewf-tools
  [tsk_recover]=sleuthkit [fls]=sleuthkit [7z]=p7zip-full [genisoimage]=genisoimage
  [mkfs.exfat]=exfatprogs [wimcapture]=wimtools [wimapply]=wimtools [cryptsetup]=cryptsetup-bin
  [qemu-img]=qemu-utils
)
case "${1:-test}" in
  test) commands=(zip hashdeep chromium mkfs.vfat mcopy mkfs.ext4 debugfs mkntfs ntfscp sfdisk ewfacquire
                  genisoimage mkfs.exfat wimcapture wimapply fls cryptsetup qemu-img) ;;
  demo) commands=(chromium) ;;
  bench) commands=(zip hashdeep sqlite3 mkfs.vfat mcopy tsk_recover) ;;
  *) echo "usage: $0 test|demo|bench" >&2; exit 2 ;;
esac
need=()
for command in "${commands[@]}"; do
  command -v "$command" >/dev/null || need+=("${package_of[$command]}")
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq >/dev/null || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
