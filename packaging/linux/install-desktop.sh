#!/usr/bin/env bash
# Install Workbench's desktop entry for the current user: the launcher, its icons, the
# .wbsession file type (double-clicking a session opens it) and the AppStream metadata, all under
# ${XDG_DATA_HOME:-~/.local/share}.
#
#   install-desktop.sh [--bundle DIR] [--uninstall]
#
#   --bundle DIR  the built bundle (the folder holding the workbench executable); the launcher starts
#                 it by its full path, and workbench and workbench-cli are linked into
#                 ${XDG_BIN_HOME:-~/.local/bin}. Run from inside a bundle (its copy of this script), the
#                 bundle is found by itself; without one the launcher starts `workbench` from PATH
#                 (a pip-installed Workbench).
#   --uninstall   remove what an install wrote (and the links, where they point at a bundle)
#
# The desktop, MIME and icon caches are refreshed where their tools (update-desktop-database,
# update-mime-database, gtk-update-icon-cache) are installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
share="$here/share"
app_id=io.github.workbench.Workbench

absolute_or() {     # XDG variables that are unset or relative are ignored (XDG Base Directory spec)
    case "${1:-}" in /*) printf '%s' "$1" ;; *) printf '%s' "$2" ;; esac
}
data=$(absolute_or "${XDG_DATA_HOME:-}" "$HOME/.local/share")
bin=$(absolute_or "${XDG_BIN_HOME:-}" "$HOME/.local/bin")

bundle=""
if [ -x "$here/workbench" ] && [ -d "$here/_internal" ]; then
    bundle=$here
fi
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --bundle)
            bundle=$(cd "${2:?--bundle needs the bundle folder}" 2>/dev/null && pwd) \
                || { echo "install-desktop.sh: there is no folder $2" >&2; exit 2; }
            [ -x "$bundle/workbench" ] \
                || { echo "install-desktop.sh: $bundle has no workbench executable; build it with packaging/build.sh" >&2; exit 2; }
            shift ;;
        --uninstall) uninstall=1 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-desktop.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ ! -f "$share/applications/$app_id.desktop" ]; then
    echo "install-desktop.sh: $share/applications/$app_id.desktop is missing" >&2
    exit 1
fi
files=()
while IFS= read -r -d '' file; do
    files+=("${file#"$share"/}")
done < <(find "$share" -type f -name "$app_id.*" -print0 | sort -z)

refresh() {
    if command -v update-desktop-database >/dev/null && [ -d "$data/applications" ]; then
        update-desktop-database -q "$data/applications" || true
    fi
    if command -v update-mime-database >/dev/null && [ -d "$data/mime/packages" ]; then
        update-mime-database "$data/mime" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null && [ -d "$data/icons/hicolor" ]; then
        gtk-update-icon-cache -q -f -t "$data/icons/hicolor" || true
    fi
}

if [ "$uninstall" = 1 ]; then
    for file in "${files[@]}"; do
        rm -f "$data/$file"
    done
    for name in workbench workbench-cli; do       # only links to a bundle's executable
        if [ -L "$bin/$name" ] && [ -d "$(dirname "$(readlink -f "$bin/$name")")/_internal" ]; then
            rm -f "$bin/$name"
        fi
    done
    refresh
    echo "Removed Workbench's desktop entry from $data"
    exit 0
fi

# Exec= takes a quoted argument with \ " ` $ escaped, then the value is escaped once more as a
# desktop-file string (\ doubled); % is written %% (Desktop Entry Specification, "The Exec key").
exec_quoted() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//\`/\\\`}; s=${s//\$/\\\$}
    s=${s//\\/\\\\}; s=${s//%/%%}
    printf '"%s"' "$s"
}
program=workbench
try_exec=workbench
if [ -n "$bundle" ]; then
    case "$bundle" in
        *$'\n'*|*$'\t'*) echo "install-desktop.sh: the bundle's path has a line break or tab; move the bundle" >&2; exit 1 ;;
    esac
    program=$(exec_quoted "$bundle/workbench")
    try_exec=${bundle//\\/\\\\}/workbench
fi

for file in "${files[@]}"; do
    install -D -m 644 "$share/$file" "$data/$file"
done
desktop="$data/applications/$app_id.desktop"
while IFS= read -r line; do
    case "$line" in
        Exec=workbench*) printf 'Exec=%s%s\n' "$program" "${line#Exec=workbench}" ;;
        TryExec=workbench) printf 'TryExec=%s\n' "$try_exec" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$share/applications/$app_id.desktop" > "$desktop.tmp"
mv -f "$desktop.tmp" "$desktop"

if [ -n "$bundle" ]; then
    mkdir -p "$bin"
    for name in workbench workbench-cli; do
        if [ -e "$bin/$name" ] && [ ! -L "$bin/$name" ]; then
            echo "install-desktop.sh: $bin/$name exists and is not a link; left as it is" >&2
        else
            ln -sfn "$bundle/$name" "$bin/$name"
        fi
    done
elif ! command -v workbench >/dev/null; then
    echo "install-desktop.sh: there is no workbench command on PATH; install Workbench (pip install .)" \
         "or give --bundle DIR, or the launcher will not start" >&2
fi
refresh
echo "Installed Workbench's desktop entry in $data (${#files[@]} files)"
if [ -n "$bundle" ]; then
    echo "It starts $bundle/workbench; workbench and workbench-cli are linked in $bin"
fi
