# Sourced by ./run and ./test: make sure uv is there and the environment matches uv.lock.
# uv comes from PyPI into the user's Python when it is missing; Python itself is never
# downloaded (the machine's Python >= 3.11 is used).
if command -v uv >/dev/null 2>&1; then
  UV="uv"
else
  if ! python3 -m uv --version >/dev/null 2>&1; then
    python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  fi
  UV="python3 -m uv"
fi
export UV_PYTHON_DOWNLOADS=never
$UV sync --frozen --quiet
