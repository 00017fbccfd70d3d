# itgrix-gen's side of a deploy over SSH: runs on the connector's server under any POSIX sh (dash,
# bash), with nothing but coreutils, flock (util-linux; a mkdir lock without it) and the
# connector's PHP.  Sent as the argument of `sh -c` over the user's own OpenSSH; the file contents
# come on stdin.  Only the fourteen file names, the target folder, the spec's capture folder (an
# absolute path the spec's checks allow) and numbers ever reach this script as arguments: call
# data never does.
#
#   probe    TARGET PHP NAME...            what is there: PHP version, manifest, journal, each file
#                                          ("file NAME MODE UID GID MTIME USER BASE64"), backups
#   apply    TARGET PHP STAMP WAIT LINT    under the lock: `php -l` each uploaded file (all within
#                                          LINT seconds), then check the files against what was
#                                          planned, back up, journal, replace atomically, write the manifest
#   rollback TARGET STAMP WAIT             under the lock: restore the newest backup
#   capturedir TARGET DIR                  make the spec's capture folder (0700, the folder's owner)
#
# Output: one line per fact ("key value..."), file contents in base64 on one line.  The state
# folder is the local deploy's (.itgrix-gen/: lock, manifest.json, pending.json, backups/), so a
# deploy from here and one made on the server itself recognise each other.
#
# The customization folder belongs to the connector's user, and this script often runs as root:
# it trusts nothing it did not write (generator/safedir.py is the same rule in Python).  A file
# there is used only when `stat` (which never follows a link) says it is a regular file with one
# link, owned by root, the deploying user or the folder's owner; it is read with dd's nofollow and
# never through a link.  The state folder is used only when it is a real folder owned by the
# deploying user and writable by no one else; the work happens inside it (cd), with the
# customization files reached as ../NAME, so renaming things in the folder meanwhile changes
# nothing.  New files are prepared in the state folder (mode and owner set there) and renamed
# into place with `mv -T`, which never writes through a link.
set -u
umask 022
PATH=$PATH:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export LC_ALL=C
me=$(id -u)

say() { printf '%s\n' "$*"; }
# A file's bytes, never through a link (a link planted in its place fails instead) and never
# waiting on a FIFO swapped in (nonblock: no writer reads as empty).
cat_file() { dd if="$1" iflag=nofollow,nonblock bs=65536 status=none; }
b64() { cat_file "$1" | base64 -w0 && printf '\n'; }
sum() { cat_file "$1" | sha256sum | cut -c1-64; }

good_name() {
    case $1 in
        '' | */* | .*) return 1 ;;
    esac
    return 0
}

# May the file $1 be read or replaced?  $2: the owners allowed.  Status 0: yes (MODE FUID FGID
# MTIME FUSER set); 1: no (WHY says why); 2: there is no such file.
check_file() {
    info=$(stat -c '%a %u %g %h %Y %U %F' -- "$1" 2>/dev/null) || return 2
    allowed=$2
    set -- $info
    MODE=$1 FUID=$2 FGID=$3 links=$4 MTIME=$5 FUSER=$6
    shift 6
    case $* in
        'regular file' | 'regular empty file') ;;
        'symbolic link') WHY="a symbolic link"; return 1 ;;
        directory) WHY="a folder"; return 1 ;;
        fifo) WHY="a FIFO"; return 1 ;;
        *) WHY="not a regular file ($*)"; return 1 ;;
    esac
    [ "$links" = 1 ] || { WHY="a file with $links hard links"; return 1; }
    case " $allowed " in
        *" $FUID "*) ;;
        *) WHY="owned by uid $FUID (expected one of $allowed)"; return 1 ;;
    esac
    return 0
}

REFUSE="root's deploy never follows a link or uses a file it cannot trust in this folder; remove it or replace it with a regular file"

# Enter the customization folder $1 (the path the administrator named).
enter() {
    cd -- "$1" 2>/dev/null || return 1
    FOLDER_OWNERS="0 $me $(stat -c %u .)"
    FOLDER_OWNER=$(stat -c %u:%g .)
}

# From the customization folder, enter our state folder (made first when $1 = create): only a real
# folder owned by this user and writable by no one else.  Status 0: inside it; 1: there is none;
# 2: it cannot be trusted (STATE_WHY).
enter_state() {
    if [ "$1" = create ] && [ ! -e .itgrix-gen ] && [ ! -L .itgrix-gen ]; then
        mkdir .itgrix-gen 2>/dev/null || { STATE_WHY="not creatable (run as the connector's owner or root)"; return 2; }
    fi
    folder_inode=$(stat -c %i .)
    state_facts .itgrix-gen || return $?
    cd .itgrix-gen 2>/dev/null || { STATE_WHY="not enterable"; return 2; }
    # What was entered is what was checked: a folder of ours whose parent is the customization folder.
    state_facts . || return $?
    [ "$(stat -c %i ..)" = "$folder_inode" ] || { STATE_WHY="replaced while it was being entered"; return 2; }
    STATE_OWNERS=$me
    return 0
}

state_facts() {
    facts=$(stat -c '%u %A %F' -- "$1" 2>/dev/null) || return 1
    set -- $facts
    case $3 in
        directory) ;;
        symbolic) STATE_WHY="a symbolic link"; return 2 ;;
        *) STATE_WHY="not a folder"; return 2 ;;
    esac
    [ "$1" = "$me" ] || { STATE_WHY="owned by uid $1, not by the user deploying (uid $me)"; return 2; }
    case $2 in
        ?????w* | ????????w*) STATE_WHY="writable by other users"; return 2 ;;
    esac
    return 0
}

state_refused() {
    say "error $1/.itgrix-gen is $STATE_WHY: a deploy trusts only a state folder that no one else can have written (remove it, or make it the deploying user's with mode 0755)"
    exit 3
}

# --- probe -------------------------------------------------------------------------------
probe() {
    target=$1 php=$2
    shift 2
    if command -v timeout >/dev/null 2>&1; then
        version=$(timeout -k 5 30 "$php" -r 'echo PHP_VERSION;' 2>&1 </dev/null)
    else
        version=$("$php" -r 'echo PHP_VERSION;' 2>&1 </dev/null)
    fi
    if [ $? = 0 ]; then
        say "version $version" | head -n 1
    else
        say "version ! $(printf '%s' "$version" | tr '\n' ' ' | cut -c1-300)"
    fi
    if [ ! -e "$target" ]; then say "target missing"; say end; return 0; fi
    if [ ! -d "$target" ]; then say "target notdir"; say end; return 0; fi
    enter "$target" || { say "target unreadable"; say end; return 0; }
    if [ -w . ]; then say "target ok"; else say "target readonly"; fi
    for name in "$@"; do
        good_name "$name" || continue
        check_file "$name" "$FOLDER_OWNERS"
        case $? in
            2) say "file $name -" ;;
            1) say "file $name ! $name is $WHY: $REFUSE" ;;
            *)
                if [ ! -r "$name" ]; then
                    say "file $name ! permission denied (run as the connector's owner or root)"
                else
                    printf 'file %s %s %s %s %s %s ' "$name" "$MODE" "$FUID" "$FGID" "$MTIME" "$FUSER"
                    b64 "$name"
                fi
                ;;
        esac
    done
    enter_state no
    case $? in
        1) say end; return 0 ;;
        2) say "state ! .itgrix-gen is $STATE_WHY: a deploy trusts only a state folder that no one else can have written (remove it, or make it the deploying user's with mode 0755)"; say end; return 0 ;;
    esac
    for meta in manifest pending; do
        if check_file "$meta.json" "$STATE_OWNERS"; then printf 'meta %s ' "$meta"; b64 "$meta.json"; fi
    done
    if [ -d backups ] && [ ! -L backups ]; then
        for dir in backups/*; do
            [ -d "$dir" ] && [ ! -L "$dir" ] || continue
            check_file "$dir/backup.json" "$STATE_OWNERS" || continue
            base=${dir##*/}
            printf 'backup %s ' "$base"
            b64 "$dir/backup.json"
            for file in "$dir"/*.php; do
                check_file "$file" "$STATE_OWNERS" && say "backupfile $base ${file##*/} $(sum "$file")"
            done
        done
    fi
    say end
}

# --- the lock ----------------------------------------------------------------------------
# (inside the state folder, which only this user can write)
lock() {
    wait=$1
    if command -v flock >/dev/null 2>&1; then
        # The same lock file the local deploy flock()s: the two exclude each other.
        if [ -L lock ] || { [ -e lock ] && ! check_file lock "$STATE_OWNERS"; }; then
            say "error .itgrix-gen/lock is not a regular file of ours; remove it"
            exit 3
        fi
        exec 9>>lock || return 1
        flock -w "$wait" 9 || { say "locked another deploy or rollback into this folder is still running (waited $wait s)"; exit 5; }
        return 0
    fi
    waited=0
    until mkdir lock.d 2>/dev/null; do
        owner=$(cat_file lock.d/pid 2>/dev/null)
        if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf lock.d; continue; fi
        [ "$waited" -ge "$wait" ] && { say "locked another deploy or rollback into this folder is still running (waited $wait s)"; exit 5; }
        sleep 1
        waited=$((waited + 1))
    done
    echo $$ >lock.d/pid
    LOCKDIR=$PWD/lock.d
}

unlock() { [ -n "${LOCKDIR:-}" ] && rm -rf "$LOCKDIR"; LOCKDIR=; }

# What a killed deploy left: its staging folders, and temporary files of older versions of this
# script beside the files (removed as links when they are links: rm never follows one).
clean_leftovers() {
    for tmp in ../.*.itgrix-gen.tmp .*.itgrix-gen.tmp; do
        if [ -L "$tmp" ] || [ -f "$tmp" ]; then rm -f "$tmp"; fi
    done
    for stage in stage.*; do
        [ -d "$stage" ] && [ ! -L "$stage" ] && rm -rf "$stage"
    done
}

# --- reading the payload -------------------------------------------------------------------
# Exactly $2 bytes of stdin into $stage/$1, which must then have the sha256 $3 (dd reads no further:
# the rest of stdin is the next line of the payload).
receive() {
    good_name "$1" || return 1
    if [ "$2" -gt 0 ]; then
        dd of="$stage/$1" bs="$2" count=1 iflag=fullblock 2>/dev/null || return 1
    else
        : >"$stage/$1"
    fi
    [ "$(sum "$stage/$1")" = "$3" ]
}

# Lines "expect NAME HASH", "file|meta NAME SIZE SHA256" (followed by SIZE raw bytes), "end".
read_payload() {
    stage=$1
    : >"$stage/expect"
    : >"$stage/files"
    while IFS=' ' read -r kind name size digest; do
        case $kind in
            end) return 0 ;;
            expect) good_name "$name" && say "$name $size" >>"$stage/expect" ;;
            file | meta)
                receive "$name" "$size" "$digest" || return 1
                [ "$kind" = file ] && say "$name" >>"$stage/files"
                ;;
            *) return 1 ;;
        esac
    done
    return 1 # the connection ended before "end": an incomplete upload is never deployed
}

# sha256 of the customization file $1 as it is now: "-" when absent, "!" when it cannot be trusted.
now_sum() {
    check_file "../$1" "$FOLDER_OWNERS"
    case $? in
        2) say - ;;
        1) say ! ;;
        *) sum "../$1" ;;
    esac
}

# The files as they were when the deploy was planned (else someone changed them meanwhile).
check_expected() {
    while IFS=' ' read -r name digest; do
        if [ "$(now_sum "$name")" != "$digest" ]; then
            say "changed $name changed on the server since it was read; run the deploy again"
            return 1
        fi
    done <"$1"
}

# Copy the customization file ../$1 to $2 (in the state folder) without following a link; its
# hash must be $3 (what was planned), else someone edited it meanwhile.
keep_copy() {
    rm -f "$2"
    check_file "../$1" "$FOLDER_OWNERS" && cat_file "../$1" >"$2" && [ "$(sum "$2")" = "$3" ]
}

# Put $2 (a file in the state folder) at ../$1 atomically, with mode $3 and owner $4 when given,
# else the current file's (or 0644 and the folder's owner for a new file).  Mode and owner are set
# in the state folder, then `mv -T` renames the file into place: nothing is done through a link.
put() {
    tmp=$stage/put.$1
    rm -f "$tmp"
    cp "$2" "$tmp" || return 1
    if [ $# -ge 4 ]; then
        mode=$3 owner=$4
    else
        check_file "../$1" "$FOLDER_OWNERS"
        case $? in
            0) mode=$MODE owner=$FUID:$FGID ;;
            2) mode=644 owner=$FOLDER_OWNER ;;
            *) rm -f "$tmp"; return 1 ;;
        esac
    fi
    if [ "$owner" != ":" ]; then chown "$owner" "$tmp" 2>/dev/null || :; fi
    chmod "$mode" "$tmp" && mv -f -T "$tmp" "../$1" || { rm -f "$tmp"; return 1; }
}

# --- apply -------------------------------------------------------------------------------
apply() {
    target=$1 php=$2 stamp=$3 wait=$4 lint=$5
    enter "$target" || { say "error cannot enter $target"; exit 3; }
    enter_state create || state_refused "$target"
    lock "$wait" || { say "error cannot lock $target (run as the connector's owner or root)"; exit 3; }
    clean_leftovers
    stage=stage.$$
    mkdir "$stage" || { say "error cannot write in $target/.itgrix-gen"; exit 3; }
    if ! read_payload "$stage"; then
        rm -rf "$stage"
        say "error the upload did not arrive whole; nothing was changed"
        exit 3
    fi
    failed=0
    lint_end=$(($(date +%s) + lint))
    while IFS= read -r name; do
        case $name in *.php) ;; *) continue ;; esac
        left=$((lint_end - $(date +%s)))
        [ "$left" -ge 1 ] || left=1
        if command -v timeout >/dev/null 2>&1; then
            message=$(timeout -k 5 "$left" "$php" -l "$stage/$name" 2>&1 </dev/null)
        else
            message=$("$php" -l "$stage/$name" 2>&1 </dev/null)
        fi
        code=$?
        if [ "$code" != 0 ]; then
            [ "$code" = 124 ] || [ "$code" = 137 ] && message="php -l did not finish within the deploy's time ($lint s)"
            printf 'check %s ' "$name"
            printf '%s' "$message" | base64 -w0
            printf '\n'
            failed=1
        fi
    done <"$stage/files"
    if [ "$failed" = 1 ]; then rm -rf "$stage"; exit 4; fi
    # After the lint and under the lock: a hand edit made meanwhile is refused, never overwritten.
    check_expected "$stage/expect" || { rm -rf "$stage"; exit 6; }
    # From here on a dropped connection does not stop the deploy: it runs to its end or undoes.
    trap '' HUP PIPE
    backup=backups/$stamp
    mkdir -p "$backup" || { rm -rf "$stage"; say "error cannot create .itgrix-gen/$backup"; exit 3; }
    while IFS= read -r name; do
        digest=$(sed -n "s/^$name //p" "$stage/expect")
        [ "$digest" = - ] && continue
        keep_copy "$name" "$backup/$name" "$digest" || {
            rm -rf "$stage" "$backup"
            say "changed $name changed on the server since it was read; run the deploy again"
            exit 6
        }
    done <"$stage/files"
    mv -f "$stage/backup.json" "$backup/backup.json" &&
        mv -f "$stage/pending.json" pending.json || { rm -rf "$stage" "$backup"; say "error cannot write the journal"; exit 3; }
    sync
    : >"$stage/done"
    while IFS= read -r name; do
        if put "$name" "$stage/$name"; then
            say "$name" >>"$stage/done"
        else
            undo "$stage" "$backup"
            say "error cannot replace $name (disk full, no permission, or it stopped being a regular file); every file was put back as it was"
            exit 3
        fi
    done <"$stage/files"
    sync
    mv -f "$stage/manifest.json" manifest.json || { undo "$stage" "$backup"; say "error cannot write the manifest; every file was put back"; exit 3; }
    rm -f pending.json
    rm -rf "$stage"
    sync
    say "deployed $stamp"
}

undo() {
    stage=$1 backup=$2
    while IFS= read -r name; do
        if [ -f "$backup/$name" ]; then put "$name" "$backup/$name"; else rm -f "../$name"; fi
    done <"$stage/done"
    rm -f pending.json
    rm -rf "$stage" "$backup"
}

# --- rollback ----------------------------------------------------------------------------
# Payload: "expect NAME HASH", "restore NAME MODE UID GID", "remove NAME", "keep NAME" (edited by
# hand: copied aside first), "from BACKUP", "meta manifest.json SIZE SHA" + bytes, "end".
rollback() {
    target=$1 stamp=$2 wait=$3
    enter "$target" || { say "error cannot enter $target"; exit 3; }
    enter_state no
    case $? in
        1) say "error no backup to restore in $target/.itgrix-gen/backups"; exit 3 ;;
        2) state_refused "$target" ;;
    esac
    lock "$wait" || { say "error cannot lock $target"; exit 3; }
    clean_leftovers
    stage=stage.$$
    mkdir "$stage" || { say "error cannot write in $target/.itgrix-gen"; exit 3; }
    : >"$stage/expect"; : >"$stage/steps"
    from=
    complete=0
    while IFS=' ' read -r kind name a b c; do
        case $kind in
            end) complete=1; break ;;
            expect) good_name "$name" && say "$name $a" >>"$stage/expect" ;;
            restore | remove | keep) good_name "$name" && say "$kind $name ${a:-} ${b:-} ${c:-}" >>"$stage/steps" ;;
            from) good_name "$name" && from=backups/$name ;;
            meta) receive "$name" "$a" "$b" || { rm -rf "$stage"; say "error the upload did not arrive whole"; exit 3; } ;;
        esac
    done
    if [ "$complete" != 1 ] || [ -z "$from" ] || [ ! -d "$from" ] || [ -L "$from" ]; then
        rm -rf "$stage"; say "error the rollback plan did not arrive whole; nothing was changed"; exit 3
    fi
    trap '' HUP PIPE
    check_expected "$stage/expect" || { rm -rf "$stage"; exit 6; }
    while IFS=' ' read -r kind name mode uid gid; do
        case $kind in
            keep)
                digest=$(sed -n "s/^$name //p" "$stage/expect")
                mkdir -p "backups/$stamp.before-rollback" &&
                    keep_copy "$name" "backups/$stamp.before-rollback/$name" "$digest" || { rm -rf "$stage"; say "error cannot back up $name"; exit 3; }
                ;;
        esac
    done <"$stage/steps"
    while IFS=' ' read -r kind name mode uid gid; do
        case $kind in
            restore)
                check_file "$from/$name" "$STATE_OWNERS" || { rm -rf "$stage"; say "error $from/$name is not a regular file of ours"; exit 3; }
                put "$name" "$from/$name" "$mode" "${uid:-}:${gid:-}" || { rm -rf "$stage"; say "error cannot restore $name"; exit 3; }
                say "restored $name"
                ;;
            remove) rm -f "../$name" && say "removed $name" ;;
        esac
    done <"$stage/steps"
    mv -f "$stage/manifest.json" manifest.json
    rm -f pending.json
    mv "$from" "$from.restored"
    rm -rf "$stage"
    sync
    say "rolledback ${from##*/}"
}


# --- capturedir --------------------------------------------------------------------------
# The spec's capture folder, made when missing (0700, owned like the customization folder) so the
# connector's first call need not; never through a link (the folder itself is checked with -L
# before and after mkdir, and chown -h never follows one).  Says "capture made|ok|! WHY".
capturedir() {
    target=$1 dir=$2
    enter "$target" || { say "error cannot enter $target"; exit 3; }
    uid=${FOLDER_OWNER%%:*}
    if [ -L "$dir" ]; then say "capture ! $dir is a link; the connector will not write there"; return 0; fi
    if [ -d "$dir" ]; then
        owner=$(stat -c %u -- "$dir")
        if [ "$owner" = "$uid" ]; then say "capture ok"; else
            say "capture ! $dir belongs to uid $owner, not to the connector's folder owner (uid $uid): calls may not be captured"
        fi
        return 0
    fi
    if [ -e "$dir" ]; then say "capture ! $dir is not a folder; the connector will not write there"; return 0; fi
    parent=${dir%/*}
    if ! mkdir -p -- "${parent:-/}" 2>/dev/null || ! (umask 077 && mkdir -- "$dir") 2>/dev/null || [ -L "$dir" ]; then
        say "capture ! $dir cannot be created (run as the connector's owner or root)"
        return 0
    fi
    chown -h "$FOLDER_OWNER" -- "$dir" 2>/dev/null || :
    say "capture made $uid"
}

command=$1
shift
case $command in
    probe) probe "$@" ;;
    apply) apply "$@" ;;
    rollback) rollback "$@" ;;
    capturedir) capturedir "$@" ;;
    *) say "error unknown command $command"; exit 3 ;;
esac
unlock
