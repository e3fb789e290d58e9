# ---------------------------------------------------------------------------------------------
# macOS: local users and managed sources.
# ---------------------------------------------------------------------------------------------

CCFLEET_TAB=$(printf '\t')

ccfleet_usage() {
  printf 'usage: %s [--force]\n' "${0##*/}" >&2
}

ccfleet_parse_args() {
  for ccfleet_arg in "$@"; do
    case $ccfleet_arg in
      --force) CCFLEET_FORCE=1 ;;
      -h | --help)
        ccfleet_usage
        exit 0
        ;;
      -*)
        ccfleet_note "unknown option: $ccfleet_arg"
        ccfleet_usage
        exit 2
        ;;
      *) ;; # Jamf passes the mount point, computer name and user name: not ours.
    esac
  done
}

# Prints one line per local user with a UID of 501 or more: name, uid, gid and home, tab-separated.
ccfleet_list_users() {
  if [ -n "${CCFLEET_USERS_FILE:-}" ]; then
    cat "$CCFLEET_USERS_FILE"
    return
  fi
  dscl . list /Users UniqueID | while read -r ccfleet_name ccfleet_uid; do
    case $ccfleet_uid in '' | *[!0-9]*) continue ;; esac
    [ "$ccfleet_uid" -ge 501 ] || continue
    # dscl prints a long value on the line after the attribute name, so the lines are joined.
    ccfleet_home=$(dscl . read "/Users/$ccfleet_name" NFSHomeDirectory 2>/dev/null | tr '\n' ' ' | sed -e 's/^NFSHomeDirectory:[ ]*//' -e 's/[ ]*$//')
    ccfleet_gid=$(dscl . read "/Users/$ccfleet_name" PrimaryGroupID 2>/dev/null | awk '{ print $2 }')
    printf '%s\t%s\t%s\t%s\n' "$ccfleet_name" "$ccfleet_uid" "$ccfleet_gid" "$ccfleet_home"
  done
}

# Runs the settings merge (merge or remove) for every local user with a home folder.
ccfleet_for_each_user() {
  ccfleet_reset_counts
  ccfleet_list_users > "$CCFLEET_WORK/users" || {
    ccfleet_note "could not list the local users"
    CCFLEET_FAILED=$((CCFLEET_FAILED + 1))
    return
  }
  while IFS=$CCFLEET_TAB read -r ccfleet_name ccfleet_uid ccfleet_gid ccfleet_home; do
    [ -n "$ccfleet_name" ] || continue
    case $ccfleet_home in
      /*) ;;
      *)
        ccfleet_note "user $ccfleet_name has no home folder; skipped"
        CCFLEET_SKIPPED=$((CCFLEET_SKIPPED + 1))
        continue
        ;;
    esac
    if [ ! -d "$CCFLEET_ROOT$ccfleet_home" ]; then
      ccfleet_note "user $ccfleet_name: home folder $ccfleet_home does not exist; skipped"
      CCFLEET_SKIPPED=$((CCFLEET_SKIPPED + 1))
      continue
    fi
    ccfleet_settings "$CCFLEET_ROOT$ccfleet_home/.claude/settings.json" "$1" "$ccfleet_uid" "$ccfleet_gid"
    ccfleet_count
    ccfleet_note "user $ccfleet_name: settings $CCFLEET_RESULT"
  done < "$CCFLEET_WORK/users"
}

# Managed scope: the profile outranks managed-settings.json, and Claude Code reads one managed
# source only, so an existing file is reported.
ccfleet_check_managed_sources() {
  if [ -e "$CCFLEET_ROOT$CCFLEET_MANAGED_FILE" ]; then
    ccfleet_note "note: $CCFLEET_MANAGED_FILE exists; while the configuration profile is installed Claude Code ignores it, so move its settings into the fleet config (settings.additional)"
  fi
  if [ ! -e "$CCFLEET_ROOT$CCFLEET_MANAGED_PREFERENCES" ]; then
    ccfleet_note "note: the configuration profile is not installed yet ($CCFLEET_MANAGED_PREFERENCES is missing); deploy the .mobileconfig too"
  fi
}
