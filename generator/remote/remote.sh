# itgrix-gen's side of a deploy over SSH: runs on the connector's server under any POSIX sh (dash,
# bash), with nothing but coreutils, flock (util-linux; a mkdir lock without it) and the
# connector's PHP.  Sent as the argument of `sh -c` over the user's own OpenSSH; the file contents
# come on stdin.  Only the fourteen file names, the target folder and numbers ever reach this
# script as arguments: call data never does.
#
#   probe    TARGET PHP NAME...       what is there: PHP version, manifest, journal, each file, backups
#   apply    TARGET PHP STAMP WAIT    under the lock: check the files against what was planned,
#                                     `php -l` each uploaded file, back up, journal, replace
#                                     atomically, write the manifest
#   rollback TARGET STAMP WAIT        under the lock: restore the newest backup
#
# Output: one line per fact ("key value..."), file contents in base64 on one line.  The state
# folder is the local deploy's (.itgrix-gen/: lock, manifest.json, pending.json, backups/), so a
# deploy from here and one made on the server itself recognise each other.
set -u
umask 022
PATH=$PATH:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export LC_ALL=C

say() { printf '%s\n' "$*"; }
b64() { base64 -w0 <"$1" && printf '\n'; }
sum() { sha256sum <"$1" | cut -c1-64; }

good_name() {
    case $1 in
        '' | */* | .*) return 1 ;;
    esac
    return 0
}

# --- probe -------------------------------------------------------------------------------
probe() {
    target=$1 php=$2
    shift 2
    if version=$("$php" -r 'echo PHP_VERSION;' 2>&1); then
        say "version $version" | head -n 1
    else
        say "version ! $(printf '%s' "$version" | tr '\n' ' ' | cut -c1-300)"
    fi
    if [ ! -e "$target" ]; then say "target missing"; say end; return 0; fi
    if [ ! -d "$target" ]; then say "target notdir"; say end; return 0; fi
    cd "$target" 2>/dev/null || { say "target unreadable"; say end; return 0; }
    if [ -w . ]; then say "target ok"; else say "target readonly"; fi
    state=.itgrix-gen
    for meta in manifest pending; do
        if [ -f "$state/$meta.json" ]; then printf 'meta %s ' "$meta"; b64 "$state/$meta.json"; fi
    done
    for name in "$@"; do
        good_name "$name" || continue
        if [ -L "$name" ] && [ ! -e "$name" ]; then say "file $name ! a symlink to nothing"
        elif [ ! -e "$name" ]; then say "file $name -"
        elif [ ! -f "$name" ]; then say "file $name ! not a regular file"
        elif [ ! -r "$name" ]; then say "file $name ! permission denied"
        else
            printf 'file %s %s ' "$name" "$(stat -c '%a %u %g' "$name")"
            b64 "$name"
        fi
    done
    if [ -d "$state/backups" ]; then
        for dir in "$state"/backups/*; do
            [ -f "$dir/backup.json" ] || continue
            base=${dir##*/}
            printf 'backup %s ' "$base"
            b64 "$dir/backup.json"
            for file in "$dir"/*.php; do
                [ -f "$file" ] && say "backupfile $base ${file##*/} $(sum "$file")"
            done
        done
    fi
    say end
}

# --- the lock ----------------------------------------------------------------------------
lock() {
    state=$1 wait=$2
    if command -v flock >/dev/null 2>&1; then
        # The same lock file the local deploy flock()s: the two exclude each other.
        exec 9>>"$state/lock" || return 1
        flock -w "$wait" 9 || { say "locked another deploy or rollback into this folder is still running (waited $wait s)"; exit 5; }
        return 0
    fi
    waited=0
    until mkdir "$state/lock.d" 2>/dev/null; do
        owner=$(cat "$state/lock.d/pid" 2>/dev/null)
        if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$state/lock.d"; continue; fi
        [ "$waited" -ge "$wait" ] && { say "locked another deploy or rollback into this folder is still running (waited $wait s)"; exit 5; }
        sleep 1
        waited=$((waited + 1))
    done
    echo $$ >"$state/lock.d/pid"
    LOCKDIR=$state/lock.d
}

unlock() { [ -n "${LOCKDIR:-}" ] && rm -rf "$LOCKDIR"; LOCKDIR=; }

# Temporary files a killed deploy left: ".<name>.itgrix-gen.tmp" beside the files.
clean_leftovers() {
    for tmp in .*.itgrix-gen.tmp .itgrix-gen/.*.itgrix-gen.tmp; do
        [ -f "$tmp" ] && rm -f "$tmp"
    done
    for stage in .itgrix-gen/stage.*; do
        [ -d "$stage" ] && rm -rf "$stage"
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

# The files as they were when the deploy was planned (else someone changed them meanwhile).
check_expected() {
    while IFS=' ' read -r name digest; do
        if [ -f "$name" ]; then now=$(sum "$name"); else now=-; fi
        if [ "$now" != "$digest" ]; then
            say "changed $name changed on the server since it was read; run the deploy again"
            return 1
        fi
    done <"$1"
}

# Put $2 at $1 atomically with $3's mode and owner (or 0644 and the folder's owner).
put() {
    tmp=.$1.itgrix-gen.tmp
    cp "$2" "$tmp" || { rm -f "$tmp"; return 1; }
    if [ -n "$3" ] && [ -e "$3" ]; then
        chmod --reference="$3" "$tmp" && { chown --reference="$3" "$tmp" 2>/dev/null || :; }
    else
        chmod 644 "$tmp" && { chown --reference=. "$tmp" 2>/dev/null || :; }
    fi || { rm -f "$tmp"; return 1; }
    mv -f "$tmp" "$1" || { rm -f "$tmp"; return 1; }
}

# --- apply -------------------------------------------------------------------------------
apply() {
    target=$1 php=$2 stamp=$3 wait=$4
    cd "$target" 2>/dev/null || { say "error cannot enter $target"; exit 3; }
    state=.itgrix-gen
    mkdir -p "$state" 2>/dev/null || { say "error cannot create $target/$state (run as the connector's owner or root)"; exit 3; }
    lock "$state" "$wait" || { say "error cannot lock $target (run as the connector's owner or root)"; exit 3; }
    clean_leftovers
    stage=$state/stage.$$
    mkdir "$stage" || { say "error cannot write in $target/$state"; exit 3; }
    if ! read_payload "$stage"; then
        rm -rf "$stage"
        say "error the upload did not arrive whole; nothing was changed"
        exit 3
    fi
    # From here on a dropped connection does not stop the deploy: it runs to its end or undoes.
    trap '' HUP PIPE
    check_expected "$stage/expect" || { rm -rf "$stage"; exit 6; }
    failed=0
    while IFS= read -r name; do
        case $name in *.php) ;; *) continue ;; esac
        if ! message=$("$php" -l "$stage/$name" 2>&1); then
            printf 'check %s ' "$name"
            printf '%s' "$message" | base64 -w0
            printf '\n'
            failed=1
        fi
    done <"$stage/files"
    if [ "$failed" = 1 ]; then rm -rf "$stage"; exit 4; fi
    backup=$state/backups/$stamp
    mkdir -p "$backup" || { rm -rf "$stage"; say "error cannot create $backup"; exit 3; }
    while IFS= read -r name; do
        if [ -e "$name" ]; then cp -p "$name" "$backup/$name" || { rm -rf "$stage" "$backup"; say "error cannot back up $name"; exit 3; }; fi
    done <"$stage/files"
    mv -f "$stage/backup.json" "$backup/backup.json" &&
        mv -f "$stage/pending.json" "$state/pending.json" || { rm -rf "$stage" "$backup"; say "error cannot write the journal"; exit 3; }
    sync
    : >"$stage/done"
    while IFS= read -r name; do
        if put "$name" "$stage/$name" "$name"; then
            say "$name" >>"$stage/done"
        else
            undo "$stage" "$backup"
            say "error cannot replace $name (disk full or no permission); every file was put back as it was"
            exit 3
        fi
    done <"$stage/files"
    sync
    mv -f "$stage/manifest.json" "$state/manifest.json" || { undo "$stage" "$backup"; say "error cannot write the manifest; every file was put back"; exit 3; }
    rm -f "$state/pending.json"
    rm -rf "$stage"
    sync
    say "deployed $stamp"
}

undo() {
    stage=$1 backup=$2
    while IFS= read -r name; do
        if [ -f "$backup/$name" ]; then put "$name" "$backup/$name" "$name"; else rm -f "$name"; fi
    done <"$stage/done"
    rm -f .itgrix-gen/pending.json
    rm -rf "$stage" "$backup"
}

# --- rollback ----------------------------------------------------------------------------
# Payload: "expect NAME HASH", "restore NAME MODE UID GID", "remove NAME", "keep NAME" (edited by
# hand: copied aside first), "from BACKUP", "meta manifest.json SIZE SHA" + bytes, "end".
rollback() {
    target=$1 stamp=$2 wait=$3
    cd "$target" 2>/dev/null || { say "error cannot enter $target"; exit 3; }
    state=.itgrix-gen
    lock "$state" "$wait" || { say "error cannot lock $target"; exit 3; }
    clean_leftovers
    stage=$state/stage.$$
    mkdir "$stage" || { say "error cannot write in $target/$state"; exit 3; }
    : >"$stage/expect"; : >"$stage/steps"
    from=
    complete=0
    while IFS=' ' read -r kind name a b c; do
        case $kind in
            end) complete=1; break ;;
            expect) good_name "$name" && say "$name $a" >>"$stage/expect" ;;
            restore | remove | keep) good_name "$name" && say "$kind $name ${a:-} ${b:-} ${c:-}" >>"$stage/steps" ;;
            from) good_name "$name" && from=$state/backups/$name ;;
            meta) receive "$name" "$a" "$b" || { rm -rf "$stage"; say "error the upload did not arrive whole"; exit 3; } ;;
        esac
    done
    if [ "$complete" != 1 ] || [ -z "$from" ] || [ ! -d "$from" ]; then
        rm -rf "$stage"; say "error the rollback plan did not arrive whole; nothing was changed"; exit 3
    fi
    trap '' HUP PIPE
    check_expected "$stage/expect" || { rm -rf "$stage"; exit 6; }
    while IFS=' ' read -r kind name mode uid gid; do
        case $kind in
            keep)
                mkdir -p "$state/backups/$stamp.before-rollback" &&
                    cp -p "$name" "$state/backups/$stamp.before-rollback/$name" || { rm -rf "$stage"; say "error cannot back up $name"; exit 3; }
                ;;
        esac
    done <"$stage/steps"
    while IFS=' ' read -r kind name mode uid gid; do
        case $kind in
            restore)
                tmp=.$name.itgrix-gen.tmp
                cp "$from/$name" "$tmp" && chmod "$mode" "$tmp" && { chown "$uid:$gid" "$tmp" 2>/dev/null || :; } &&
                    mv -f "$tmp" "$name" || { rm -f "$tmp"; say "error cannot restore $name"; exit 3; }
                say "restored $name"
                ;;
            remove) rm -f "$name" && say "removed $name" ;;
        esac
    done <"$stage/steps"
    mv -f "$stage/manifest.json" "$state/manifest.json"
    rm -f "$state/pending.json"
    mv "$from" "$from.restored"
    rm -rf "$stage"
    sync
    say "rolledback ${from##*/}"
}

command=$1
shift
case $command in
    probe) probe "$@" ;;
    apply) apply "$@" ;;
    rollback) rollback "$@" ;;
    *) say "error unknown command $command"; exit 3 ;;
esac
unlock
