# Shared by scripts/run and scripts/test: a virtual environment in .venv.

PYTHON="${PYTHON:-python3}"

quiet_pip() {
    .venv/bin/python -m pip --disable-pip-version-check --quiet "$@"
}

ensure_venv() {
    if [ -x .venv/bin/python ]; then
        return
    fi
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        # Debian's python3 needs its venv module from a package of its own.
        if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
            echo "installing python3-venv (Debian) ..."
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            "$PYTHON" -m venv .venv
        else
            echo "cannot make a virtual environment: install Debian's python3-venv (sudo apt-get install python3-venv)" >&2
            exit 1
        fi
    fi
    quiet_pip install --upgrade pip
}

# Install Debian packages that are missing (as root, or with sudo when there is one).
ensure_debian_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
            exit 1
        fi
    fi
    echo "installing Debian packages: ${missing[*]} ..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
