#!/usr/bin/env bash
# Build Workbench's one-folder bundle (PyInstaller, packaging/workbench.spec) and a .tar.gz of it.
#
#   packaging/build.sh [--no-numba] [--dist DIR] [--work DIR]
#
#   --no-numba   leave the compiled training kernel out (numba and llvmlite, ~200 MB); the numpy
#                engine trains alone
#   --dist DIR   where the bundle folder and the archive go (default: dist/ in the checkout)
#   --work DIR   PyInstaller's work folder (default: a temporary folder, removed afterwards)
#
# Python: $PYTHON, else the checkout's .venv (`.venv/bin/pip install -e '.[test]'` gives it
# PyInstaller), else python3. The last two lines printed are the bundle folder and the archive, each
# with its size. The budgets (README, "Install as a desktop app"): the folder at most 250 MB
# without numba, 450 MB with it; the archive under 180 MB; build.sh fails when one is exceeded.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
with_numba=1
dist="$repo/dist"
work=""
while [ $# -gt 0 ]; do
    case "$1" in
        --no-numba) with_numba=0 ;;
        --dist) dist=${2:?--dist needs a folder}; shift ;;
        --work) work=${2:?--work needs a folder}; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ -n "${PYTHON:-}" ]; then
    python=$PYTHON
elif [ -x "$repo/.venv/bin/python" ]; then
    python="$repo/.venv/bin/python"
else
    python=python3
fi
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: $python cannot import PyInstaller; install it with: .venv/bin/pip install -e '.[test]'" >&2
    exit 1
fi
if [ "$with_numba" = 1 ] && ! "$python" -c "import numba" 2>/dev/null; then
    echo "build.sh: $python has no numba; building without the compiled kernel (as --no-numba)" >&2
    with_numba=0
fi

mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/workbench-build.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi

WORKBENCH_BUNDLE_NUMBA=$with_numba "$python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$dist" --workpath "$work" "$repo/packaging/workbench.spec"

# The spec has pruned Qt's translations and the GTK platform theme (with the GTK libraries only it
# needs) from what PyInstaller collected; say so if a PyInstaller version brought them back.
bundle="$dist/workbench"
for unwanted in PySide6/Qt/translations PySide6/Qt/plugins/platformthemes/libqgtk3.so libgtk-3.so.0; do
    if [ -e "$bundle/_internal/$unwanted" ]; then
        echo "build.sh: the bundle has _internal/$unwanted, which the spec prunes" >&2
        exit 1
    fi
done

# The desktop entry, icons, MIME type and AppStream file, with their installer, beside the
# executables: an unpacked archive installs itself with ./install-desktop.sh.
rm -rf "$bundle/share"
cp -R "$repo/packaging/linux/share" "$bundle/share"
install -m 755 "$repo/packaging/linux/install-desktop.sh" "$bundle/install-desktop.sh"

version=$("$python" -c "import re, sys; print(re.search(r'__version__ = \"(.+)\"', open(sys.argv[1]).read())[1])" \
    "$repo/workbench/__init__.py")
suffix=$([ "$with_numba" = 1 ] && echo "" || echo "-numpy")
archive="$dist/workbench-$version$suffix-linux-$(uname -m).tar.gz"
tar -C "$dist" -czf "$archive" workbench

folder_bytes=$(du -sb "$bundle" | cut -f1)
archive_bytes=$(stat -c %s "$archive")
limit_mb=$([ "$with_numba" = 1 ] && echo 450 || echo 250)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo "bundle  $bundle  $(mb "$folder_bytes") (budget $limit_mb MB; numba: $([ "$with_numba" = 1 ] && echo yes || echo no))"
echo "archive $archive  $(mb "$archive_bytes") (budget 180 MB)"
status=0
if [ "$folder_bytes" -gt $((limit_mb * 1000000)) ]; then
    echo "build.sh: the bundle is over its budget of $limit_mb MB" >&2; status=1
fi
if [ "$archive_bytes" -ge 180000000 ]; then
    echo "build.sh: the archive is over its budget of 180 MB" >&2; status=1
fi
exit "$status"
