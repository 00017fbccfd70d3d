# The server side of `itgrix-gen capture pull` (POSIX sh and GNU coreutils, as on CentOS 7).
#
#   list DIR                       the capture files in DIR, one block each (see below)
#   read DIR NAME INODE OFFSET N   at most N bytes of NAME from OFFSET, raw, on stdout
#
# Whoever runs this (often root) reads a folder that the connector's user can write, so nothing
# found there is trusted: the folder must be reached without a symbolic link (its real path is the
# path given), a file is read only when it is a regular file with one link, owned by the folder's
# owner, root or us, through O_NOFOLLOW|O_NONBLOCK (never a link's target, never a FIFO that
# hangs), and only if it is still the file that was listed (same inode before and after).
# Exit codes: 0 done, 3 the folder cannot be used (the reason on stderr), 4 the file changed or
# is not one to read (the reason on stderr), 2 usage.
set -u
LC_ALL=C
export LC_ALL
cmd=${1:-}
dir=${2:-}
case $dir in
/*) ;;
*) echo "the capture folder must be an absolute path" >&2; exit 2 ;;
esac
if [ ! -e "$dir" ] && [ ! -L "$dir" ]; then
    [ "$cmd" = list ] && { echo "absent"; exit 0; }
    echo "$dir does not exist" >&2
    exit 3
fi
if [ -L "$dir" ] || [ ! -d "$dir" ]; then
    echo "$dir is not a folder (a symbolic link or another kind of file): pull never follows a link" >&2
    exit 3
fi
cd -P -- "$dir" 2>/dev/null || { echo "$dir cannot be entered (log in as the connector's user or root)" >&2; exit 3; }
real=$(pwd -P)
if [ "$real" != "$dir" ]; then
    echo "$dir leads through a symbolic link to $real: pull never follows a link (write capture.dir: $real)" >&2
    exit 3
fi
owner=$(stat -c %u .) || exit 3
me=$(id -u)

# "why" a file may not be read, or nothing: regular (mode 8xxx in hex), one link, a trusted owner.
judge() {
    # $1 raw mode (hex), $2 links, $3 owner
    case $1 in
    8???) ;;
    a???) echo "a symbolic link"; return ;;
    1???) echo "a FIFO"; return ;;
    *) echo "not a regular file"; return ;;
    esac
    [ "$2" = 1 ] || { echo "a file with $2 hard links"; return; }
    [ "$3" = "$owner" ] || [ "$3" = 0 ] || [ "$3" = "$me" ] || echo "owned by uid $3, not the folder's owner"
}

safe_name() {
    case $1 in
    *[!A-Za-z0-9_.-]* | .* | '') return 1 ;;
    *.jsonl | *.jsonl.[0-9] | *.jsonl.[0-9][0-9] | *.jsonl.[0-9][0-9][0-9]) return 0 ;;
    *) return 1 ;;
    esac
}

case $cmd in
list)
    # Per file: "F inode size name" then "H base64-of-its-first-1024-bytes" (one line), or
    # "S name why" for a file that is not read.
    echo "folder"
    for f in *.jsonl *.jsonl.*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        safe_name "$f" || continue
        set -- $(stat -c '%f %h %u %i %s' -- "./$f") || continue
        why=$(judge "$1" "$2" "$3")
        if [ -n "$why" ]; then
            echo "S $f $why"
            continue
        fi
        echo "F $4 $5 $f"
        printf 'H '
        dd if="./$f" iflag=nofollow,nonblock bs=1024 count=1 2>/dev/null | base64 | tr -d '\n'
        echo
    done
    echo "end"
    ;;
read)
    name=${3:-}
    inode=${4:-}
    offset=${5:-}
    count=${6:-}
    safe_name "$name" || { echo "$name is not a capture file's name" >&2; exit 2; }
    case $inode$offset$count in *[!0-9]* | '') echo "usage: read DIR NAME INODE OFFSET COUNT" >&2; exit 2 ;; esac
    set -- $(stat -c '%f %h %u %i' -- "./$name" 2>/dev/null) || { echo "$name is gone" >&2; exit 4; }
    why=$(judge "$1" "$2" "$3")
    [ -z "$why" ] || { echo "$name is $why: not read" >&2; exit 4; }
    [ "$4" = "$inode" ] || { echo "$name was replaced since it was listed" >&2; exit 4; }
    dd if="./$name" iflag=nofollow,nonblock,skip_bytes,count_bytes skip="$offset" count="$count" bs=65536 2>/dev/null \
        || { echo "$name cannot be read" >&2; exit 4; }
    set -- $(stat -c '%f %h %u %i' -- "./$name" 2>/dev/null) || { echo "$name is gone" >&2; exit 4; }
    # Swapped for something else while it was read: what was read may not be ours to copy.
    [ "$4" = "$inode" ] && [ "$2" = 1 ] || { echo "$name was replaced while it was read" >&2; exit 4; }
    ;;
*)
    echo "usage: list DIR | read DIR NAME INODE OFFSET COUNT" >&2
    exit 2
    ;;
esac
