# Shared by Scripts/test and Scripts/quickstart: install Debian packages that are missing.

# ensure_packages CMD:PACKAGE ...  — installs PACKAGE when CMD is not found.
ensure_packages() {
  local missing=()
  for pair in "$@"; do
    local probe="${pair%%:*}" package="${pair#*:}"
    if [[ "$probe" == /* ]]; then
      compgen -G "$probe" >/dev/null || missing+=("$package")
    else
      command -v "$probe" >/dev/null 2>&1 || missing+=("$package")
    fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "==> installing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a cluster-wide PostgreSQL on install; Steward uses its own throwaway instances.
  if printf '%s\n' "${missing[@]}" | grep -q '^postgresql$' && command -v pg_ctlcluster >/dev/null; then
    "${sudo[@]}" service postgresql stop >/dev/null 2>&1 || true
  fi
}

# The PostgreSQL server binaries (Debian keeps them off the PATH).
postgres_bin() {
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [[ -n "$newest" ]]; then echo "$newest"; else dirname "$(command -v initdb)"; fi
}
