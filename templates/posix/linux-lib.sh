# ---------------------------------------------------------------------------------------------
# Linux tarball: --user (this user's settings) or --system (like the .deb and .rpm packages).
# ---------------------------------------------------------------------------------------------

ccfleet_usage() {
  printf 'usage: %s [--user | --system] [--force]\n' "${0##*/}" >&2
}

# Sets CCFLEET_TARGET to user or system: from --user or --system, else system for root and user
# for everyone else.
ccfleet_parse_args() {
  CCFLEET_TARGET=
  for ccfleet_arg in "$@"; do
    case $ccfleet_arg in
      --force) CCFLEET_FORCE=1 ;;
      --user) CCFLEET_TARGET=user ;;
      --system) CCFLEET_TARGET=system ;;
      -h | --help)
        ccfleet_usage
        exit 0
        ;;
      *)
        ccfleet_note "unknown argument: $ccfleet_arg"
        ccfleet_usage
        exit 2
        ;;
    esac
  done
  if [ -z "$CCFLEET_TARGET" ]; then
    if ccfleet_is_root; then CCFLEET_TARGET=system; else CCFLEET_TARGET=user; fi
  fi
}

# The per-user helper path with a leading ~ expanded, and the apiKeyHelper command quoted for
# /bin/sh, because the path depends on this user's home.
ccfleet_user_paths() {
  if [ -z "${HOME:-}" ] || [ ! -d "$HOME" ]; then
    ccfleet_summary "FAILED: HOME is not set to an existing folder"
    exit 4
  fi
  CCFLEET_USER_HELPER=$HOME${CCFLEET_USER_HELPER_PATH#\~}
  CCFLEET_HELPER=$(ccfleet_sh_quote "$CCFLEET_USER_HELPER")
  export CCFLEET_HELPER
}

# Creates ~/.claude (0700) when the helper goes inside it and the folder is missing.
ccfleet_user_folder() {
  case $CCFLEET_USER_HELPER in
    "$HOME/.claude/"*)
      [ -d "$HOME/.claude" ] || mkdir -m 700 "$HOME/.claude"
      ;;
  esac
}
