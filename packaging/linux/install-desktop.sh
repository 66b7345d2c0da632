#!/usr/bin/env bash
# Register SegStudio with the Linux desktop: menu entry, icon, AppStream metainfo and the MIME
# type of project databases (segstudio.db). Works from a source checkout or pip install (run it
# from the checkout) and from an unpacked desktop bundle (it sits at the bundle's top level).
#
#   install-desktop.sh [--prefix DIR] [--exec COMMAND] [--uninstall]
#
#   --prefix DIR    where to install (default ~/.local; /usr/local for all users, as root)
#   --exec COMMAND  the command the menu entry runs (default: the bundle's segstudio when run
#                   from a bundle, else `segstudio` from PATH)
#   --uninstall     remove what an earlier run installed
set -euo pipefail

APP_ID=io.github.segstudio.SegStudio
PREFIX="${HOME}/.local"
EXEC=""
UNINSTALL=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX="$2"; shift 2 ;;
        --exec) EXEC="$2"; shift 2 ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-desktop.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$HERE/share/applications/$APP_ID.desktop" ]; then  # inside a bundle
    SRC_APPS="$HERE/share/applications"; SRC_META="$HERE/share/metainfo"
    SRC_MIME="$HERE/share/mime/packages"; SRC_ICONS="$HERE/share/icons/hicolor"
    [ -n "$EXEC" ] || EXEC="$HERE/segstudio"
else  # a source checkout: packaging/linux and segstudio/resources/icons/app
    ROOT="$(cd "$HERE/../.." && pwd)"
    SRC_APPS="$HERE"; SRC_META="$HERE"; SRC_MIME="$HERE"; SRC_ICONS=""
    APP_ICONS="$ROOT/segstudio/resources/icons/app"
    [ -n "$EXEC" ] || EXEC="segstudio"
fi

DATA="$PREFIX/share"
DESKTOP="$DATA/applications/$APP_ID.desktop"
METAINFO="$DATA/metainfo/$APP_ID.metainfo.xml"
MIMEXML="$DATA/mime/packages/$APP_ID.xml"
SIZES="16 32 48 64 128 256 512"

refresh() {
    command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
}

if [ "$UNINSTALL" = 1 ]; then
    rm -f "$DESKTOP" "$METAINFO" "$MIMEXML" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
    for s in $SIZES; do rm -f "$DATA/icons/hicolor/${s}x${s}/apps/$APP_ID.png"; done
    refresh
    echo "SegStudio desktop integration removed from $PREFIX"
    exit 0
fi

mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/mime/packages" "$DATA/icons/hicolor/scalable/apps"
# Exec/TryExec point at the chosen command; %f (the file opened) stays. In Exec a path with
# spaces must be double-quoted (desktop entry spec); TryExec takes the bare path.
sed_escape() { printf '%s' "$1" | sed 's/[\\&|]/\\&/g'; }
exec_arg="$EXEC"
case "$EXEC" in *" "*) exec_arg="\"$EXEC\"" ;; esac
sed -e "s|^Exec=segstudio |Exec=$(sed_escape "$exec_arg") |" -e "s|^TryExec=segstudio$|TryExec=$(sed_escape "$EXEC")|" \
    "$SRC_APPS/$APP_ID.desktop" > "$DESKTOP"
install -m 644 "$SRC_META/$APP_ID.metainfo.xml" "$METAINFO"
install -m 644 "$SRC_MIME/$APP_ID.mime.xml" "$MIMEXML"
for s in $SIZES; do
    mkdir -p "$DATA/icons/hicolor/${s}x${s}/apps"
    if [ -n "$SRC_ICONS" ]; then src="$SRC_ICONS/${s}x${s}/apps/segstudio-$s.png"; else src="$APP_ICONS/segstudio-$s.png"; fi
    install -m 644 "$src" "$DATA/icons/hicolor/${s}x${s}/apps/$APP_ID.png"
done
if [ -n "$SRC_ICONS" ]; then svg="$SRC_ICONS/scalable/apps/segstudio.svg"; else svg="$APP_ICONS/segstudio.svg"; fi
install -m 644 "$svg" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
refresh
echo "SegStudio desktop integration installed in $PREFIX (menu entry runs: $EXEC)"
