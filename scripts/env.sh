# Sourced by ./run, ./test and ./huiqi: make sure uv is there and the environment matches uv.lock.
# uv comes from PyPI when it is missing: into the user's Python if pip may install there,
# else into a private virtual environment (.tools/) — the way on systems whose Python is
# "externally managed" (PEP 668). Python itself is never downloaded: the machine's
# Python >= 3.11 is used.
if command -v uv >/dev/null 2>&1; then
  UV="uv"
elif python3 -m uv --version >/dev/null 2>&1; then
  UV="python3 -m uv"
elif [ -x .tools/bin/uv ]; then
  UV=".tools/bin/uv"
elif python3 -m pip install --quiet --user uv >/dev/null 2>&1 && python3 -m uv --version >/dev/null 2>&1; then
  UV="python3 -m uv"
else
  echo "installing uv into .tools/ (a private virtual environment)" >&2
  if ! python3 -m venv .tools >/dev/null || ! .tools/bin/python -m pip install --quiet uv; then
    echo "error: could not install uv; install it (https://docs.astral.sh/uv/) or python3-venv, then retry" >&2
    exit 2
  fi
  UV=".tools/bin/uv"
fi
export UV_PYTHON_DOWNLOADS=never
unset VIRTUAL_ENV  # the project's own .venv is used, whatever else is active
$UV sync --frozen --quiet
touch .venv/.huiqi-synced  # ./huiqi syncs again only when uv.lock or pyproject.toml is newer than this
