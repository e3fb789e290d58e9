# ---------------------------------------------------------------------------------------------
# ccfleet POSIX sh library, shared by the macOS and Linux install and uninstall scripts. It holds
# no configuration values; those are set above it, each quoted for sh by ccfleet.
# Test hooks: CCFLEET_ROOT prefixes every system path (a scratch root), CCFLEET_USERS_FILE lists
# users instead of the directory service (lines "name<TAB>uid<TAB>gid<TAB>home"), CCFLEET_AWK picks
# the awk. CCFLEET_FORCE=1 does what --force does, for MDMs that cannot pass arguments.
# ---------------------------------------------------------------------------------------------

CCFLEET_ROOT=${CCFLEET_ROOT:-}
CCFLEET_AWK=${CCFLEET_AWK:-awk}
CCFLEET_FORCE=${CCFLEET_FORCE:-}

ccfleet_note() {
  printf 'ccfleet: %s\n' "$*" >&2
}

ccfleet_banner() {
  ccfleet_note "$CCFLEET_ORGANIZATION Claude Code router setup, version $CCFLEET_PRODUCT_VERSION, $CCFLEET_SCOPE scope"
}

# The one line an MDM shows: printed last, on stdout.
ccfleet_summary() {
  printf 'ccfleet: %s\n' "$*"
}

ccfleet_is_root() {
  [ "$(id -u)" = 0 ]
}

# Exits 3 unless running as root; a scratch root (CCFLEET_ROOT) needs no root.
ccfleet_require_root() {
  if [ -z "$CCFLEET_ROOT" ] && ! ccfleet_is_root; then
    ccfleet_summary "FAILED: run this script as root (sudo, or from the MDM)"
    exit 3
  fi
}

# Creates the work folder, removed on exit, and writes the awk merge program into it.
ccfleet_setup() {
  CCFLEET_WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccfleet.XXXXXX") || {
    ccfleet_summary "FAILED: could not create a temporary folder"
    exit 4
  }
  trap 'rm -rf "$CCFLEET_WORK"' EXIT
  trap 'exit 130' HUP INT TERM
  ccfleet_awk_program > "$CCFLEET_WORK/merge-settings.awk" || exit 4
}

# Prints "<mode string> <uid> <gid>" of a path, from ls -ln (stat differs between macOS and Linux).
ccfleet_stat() {
  # shellcheck disable=SC2012
  ls -lnd -- "$1" 2>/dev/null | awk '{ print $1, $3, $4 }'
}

ccfleet_owner_uid() {
  # shellcheck disable=SC2012
  ls -lnd -- "$1" 2>/dev/null | awk '{ print $3 }'
}

# Quotes one word for /bin/sh like ccfleet's apiKeyHelper command: bare when it holds only safe
# characters, else in single quotes with ' written as '\''.
ccfleet_sh_quote() {
  case $1 in
    '' | *[!A-Za-z0-9_@%+=:,./-]*)
      printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
      ;;
    *)
      printf '%s' "$1"
      ;;
  esac
}

# Installs a file atomically from the output of a writer function: a temporary file in the target
# folder is renamed over it. An identical file with the same mode and owner is left untouched.
# Sets CCFLEET_FILE_STATUS to installed, updated or unchanged.
ccfleet_install_file() {
  _dest=$1
  _mode=$2
  _writer=$3
  _dir=${_dest%/*}

  mkdir -p "$_dir" || return 1
  _tmp=$(mktemp "$_dir/.ccfleet-XXXXXX") || return 1
  if ! "$_writer" > "$_tmp" || ! chmod "$_mode" "$_tmp"; then
    rm -f "$_tmp"
    return 1
  fi
  if ccfleet_is_root && ! chown 0:0 "$_tmp"; then
    rm -f "$_tmp"
    return 1
  fi

  if [ -f "$_dest" ] && [ ! -L "$_dest" ] && cmp -s "$_tmp" "$_dest" && [ "$(ccfleet_stat "$_tmp")" = "$(ccfleet_stat "$_dest")" ]; then
    rm -f "$_tmp"
    CCFLEET_FILE_STATUS=unchanged
    return 0
  fi

  if [ -e "$_dest" ] || [ -L "$_dest" ]; then CCFLEET_FILE_STATUS=updated; else CCFLEET_FILE_STATUS=installed; fi
  if ! mv -f "$_tmp" "$_dest"; then
    rm -f "$_tmp"
    return 1
  fi
}

# Removes a file ccfleet installed and its folder when that is left empty.
# Sets CCFLEET_FILE_STATUS to removed or absent.
ccfleet_remove_file() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f "$1" || return 1
    CCFLEET_FILE_STATUS=removed
    rmdir "${1%/*}" 2>/dev/null || :
  else
    CCFLEET_FILE_STATUS=absent
  fi
}

# Merges ccfleet's keys into one settings file (mode merge) or takes them out (mode remove), with
# the awk program; the desired values are in the exported CCFLEET_HELPER and CCFLEET_ENV_* variables.
#   ccfleet_settings FILE MODE UID GID
# UID and GID, when given, own a new folder and file (when running as root), and an existing folder
# or file owned by anyone else is skipped: root must not write through a link a user planted.
# Sets CCFLEET_RESULT to created, updated, unchanged, removed, refused or failed.
ccfleet_settings() {
  _file=$1
  _mode=$2
  _uid=$3
  _gid=$4
  CCFLEET_RESULT=failed

  # A symbolic link is written through to its target.
  _target=$_file
  _hops=0
  while [ -L "$_target" ]; do
    _hops=$((_hops + 1))
    if [ "$_hops" -gt 20 ]; then
      ccfleet_note "$_file: too many levels of symbolic links; left unchanged"
      CCFLEET_RESULT=refused
      return 1
    fi
    _link=$(readlink "$_target") || return 1
    case $_link in
      /*) _target=$_link ;;
      *) _target=${_target%/*}/$_link ;;
    esac
  done
  _dir=${_target%/*}

  if [ ! -d "$_dir" ]; then
    if [ "$_mode" = remove ]; then
      CCFLEET_RESULT=unchanged
      return 0
    fi
    mkdir -m 700 "$_dir" || return 1
    if [ -n "$_uid" ] && ccfleet_is_root; then chown "$_uid:$_gid" "$_dir" || return 1; fi
  fi

  if [ -n "$_uid" ]; then
    if [ "$(ccfleet_owner_uid "$_dir")" != "$_uid" ]; then
      ccfleet_note "$_file: folder $_dir is not owned by uid $_uid; left unchanged"
      CCFLEET_RESULT=refused
      return 1
    fi
    if [ -e "$_target" ] && [ "$(ccfleet_owner_uid "$_target")" != "$_uid" ]; then
      ccfleet_note "$_file: $_target is not owned by uid $_uid; left unchanged"
      CCFLEET_RESULT=refused
      return 1
    fi
  fi

  if [ -e "$_target" ] && [ ! -f "$_target" ]; then
    ccfleet_note "$_file: not a regular file; left unchanged"
    CCFLEET_RESULT=refused
    return 1
  fi

  if [ ! -f "$_target" ] && [ "$_mode" = remove ]; then
    CCFLEET_RESULT=unchanged
    return 0
  fi

  # awk implementations differ on NUL bytes, and JSON allows none: refuse before awk sees one.
  if [ -f "$_target" ]; then
    _all=$(wc -c < "$_target") || return 1
    _kept=$(tr -d '\000' < "$_target" | wc -c) || return 1
    if [ "$((_all))" -ne "$((_kept))" ]; then
      ccfleet_note "$_file: contains a NUL byte, which JSON does not allow; left unchanged"
      CCFLEET_RESULT=refused
      return 1
    fi
  fi

  # W3: the new bytes go to a temporary file in the same folder; cp -p gives it the mode (and,
  # as root, the owner) of the existing file, and the rename replaces the file at once.
  _tmp=$(mktemp "$_dir/.settings.json.ccfleet-XXXXXX") || return 1
  if [ -f "$_target" ] && ! cp -p "$_target" "$_tmp"; then
    rm -f "$_tmp"
    return 1
  fi

  # The file's bytes and a sentinel "x" (or "!" when reading failed, which awk refuses) let awk
  # see whether the last line ends with a newline.
  {
    if [ -f "$_target" ]; then
      if cat "$_target"; then printf x; else printf '!'; fi
    else
      printf x
    fi
  } | CCFLEET_MERGE_FILE=$_file CCFLEET_MERGE_MODE=$_mode CCFLEET_MERGE_FORCE=$CCFLEET_FORCE LC_ALL=C \
    $CCFLEET_AWK -f "$CCFLEET_WORK/merge-settings.awk" > "$_tmp"
  _status=$?

  case $_status in
    0 | 13) ;;
    10)
      rm -f "$_tmp"
      CCFLEET_RESULT=unchanged
      return 0
      ;;
    11 | 12)
      rm -f "$_tmp"
      CCFLEET_RESULT=refused
      return 1
      ;;
    *)
      rm -f "$_tmp"
      ccfleet_note "$_file: the settings merge failed (awk exit status $_status); left unchanged"
      return 1
      ;;
  esac

  # W4: the old bytes are kept next to the file first, with the same mode.
  if [ -f "$_target" ]; then
    _backup=$_target.ccfleet-backup-$(date -u +%Y%m%dT%H%M%SZ)
    if ! cp -p "$_target" "$_backup"; then
      rm -f "$_tmp"
      ccfleet_note "$_file: could not write the backup $_backup; left unchanged"
      return 1
    fi
    ccfleet_note "$_file: previous version kept as $_backup"
  elif [ -n "$_uid" ] && ccfleet_is_root && ! chown "$_uid:$_gid" "$_tmp"; then
    rm -f "$_tmp"
    return 1
  fi

  if [ "$_status" = 13 ]; then
    # Uninstall left an empty object: nothing of the user's was in the file, so it goes.
    rm -f "$_tmp" "$_target" || return 1
    CCFLEET_RESULT=removed
    return 0
  fi

  if [ -f "$_target" ]; then CCFLEET_RESULT=updated; else CCFLEET_RESULT=created; fi
  if ! mv -f "$_tmp" "$_target"; then
    rm -f "$_tmp"
    CCFLEET_RESULT=failed
    return 1
  fi
}

# Counts one ccfleet_settings result.
ccfleet_count() {
  case $CCFLEET_RESULT in
    created | updated | removed) CCFLEET_CHANGED=$((CCFLEET_CHANGED + 1)) ;;
    unchanged) CCFLEET_UNCHANGED=$((CCFLEET_UNCHANGED + 1)) ;;
    refused) CCFLEET_REFUSED=$((CCFLEET_REFUSED + 1)) ;;
    *) CCFLEET_FAILED=$((CCFLEET_FAILED + 1)) ;;
  esac
}

ccfleet_reset_counts() {
  CCFLEET_CHANGED=0
  CCFLEET_UNCHANGED=0
  CCFLEET_REFUSED=0
  CCFLEET_FAILED=0
  CCFLEET_SKIPPED=0
}

ccfleet_counts_text() {
  printf '%s changed, %s unchanged, %s refused, %s failed, %s skipped' \
    "$CCFLEET_CHANGED" "$CCFLEET_UNCHANGED" "$CCFLEET_REFUSED" "$CCFLEET_FAILED" "$CCFLEET_SKIPPED"
}

# Exit status from the counts: 4 when a write failed, 1 when a file was refused, else 0.
ccfleet_counts_status() {
  if [ "$CCFLEET_FAILED" -gt 0 ]; then return 4; fi
  if [ "$CCFLEET_REFUSED" -gt 0 ]; then return 1; fi
  return 0
}
