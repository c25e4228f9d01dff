#!/usr/bin/env bash
# Builds stripe-mock (github.com/stripe/stripe-mock, Go, MIT) so that `npm run bench`
# can run it beside the twin. Nothing of stripe-mock is kept in this repository.
#
#   scripts/build_stripe_mock.sh <stripe-mock source> [out-dir]
#
# <stripe-mock source> is a git checkout, a bare clone or mirror, or a plain copy of the
# source tree. out-dir (default $TMPDIR/stripe-mock-build, or /tmp/stripe-mock-build) is
# emptied and receives the source and the binary, out-dir/stripe-mock.
#
# - Go: stripe-mock's go.mod asks for Go 1.22+. A `go` on PATH of 1.22 or later is used,
#   else /usr/lib/go-1.23/bin/go, else Go 1.23 is installed from Debian's bookworm-backports
#   (apt, as root), adding that suite to apt's sources if it is not there yet.
# - Modules: the repository vendors them, so the build is offline (-mod=vendor).
# - Specs: stripe-mock embeds embedded/openapi/spec3.json and spec3.beta.sdk.json. Mirrors
#   often lack those two large blobs; when absent, `{}` is embedded in their place, and the
#   binary then needs -spec and -fixtures at run time (scripts/bench.mjs: STRIPE_MOCK_SPEC,
#   STRIPE_MOCK_FIXTURES).
set -euo pipefail

usage() { echo "usage: $0 <stripe-mock checkout | bare git dir | source dir> [out-dir]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
src=$1
out=${2:-${TMPDIR:-/tmp}/stripe-mock-build}
[[ -d $src ]] || { echo "no such directory: $src" >&2; exit 2; }
big=(embedded/openapi/spec3.json embedded/openapi/spec3.beta.sdk.json)

# --- Go ---------------------------------------------------------------------
go_ok() { # $1: a go binary; true when it runs and is 1.22 or later
  local v
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  (( major > 1 || (major == 1 && minor >= 22) ))
}
GO=
if command -v go >/dev/null && go_ok "$(command -v go)"; then
  GO=$(command -v go)
elif go_ok /usr/lib/go-1.23/bin/go; then
  GO=/usr/lib/go-1.23/bin/go
else
  echo "Go 1.22+ not found: installing golang-1.23-go from bookworm-backports" >&2
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports golang-1.23-go >/dev/null
  GO=/usr/lib/go-1.23/bin/go
  go_ok "$GO" || { echo "installed Go does not run: $GO" >&2; exit 1; }
fi

# --- source -----------------------------------------------------------------
# A git repository (checkout or bare): its HEAD, through `git archive`, with the two large
# spec files left out of the archive (their blobs may be missing) and added back when the
# repository has them. A plain directory: copied as it is.
gitdir=
if [[ -f $src/HEAD && -d $src/objects && -d $src/refs ]]; then  # bare clone or mirror
  gitdir=$(cd "$src" && pwd)
elif [[ -e $src/.git ]]; then                                  # checkout (or worktree)
  gitdir=$(git -C "$src" rev-parse --absolute-git-dir)
fi

# out-dir is emptied: only when it is new, empty, or a previous build (go.mod and main.go).
if [[ -e $out ]]; then
  real_out=$(cd "$out" && pwd -P)
  real_src=$(cd "$src" && pwd -P)
  if [[ $real_out == / || $real_out == "$real_src" || $real_src == "$real_out"/* || $real_out == "${HOME:-/root}" ]]; then
    echo "refusing to empty $out (the source, a parent of it, / or \$HOME)" >&2; exit 2
  fi
  if [[ -n $(ls -A "$out") && ! ( -f $out/go.mod && -f $out/main.go ) ]]; then
    echo "refusing to empty $out: not empty and not a previous stripe-mock build" >&2; exit 2
  fi
fi
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -n $gitdir ]]; then
  excludes=()
  for f in "${big[@]}"; do excludes+=(":(exclude)$f"); done
  # Git still walks the excluded entries and complains of their missing blobs: that is expected.
  errs=$(mktemp)
  git --git-dir="$gitdir" archive --format=tar HEAD -- . "${excludes[@]}" 2>"$errs" | tar -x -C "$out" || { cat "$errs" >&2; exit 1; }
  grep -v -E "invalid object [0-9]+ [0-9a-f]+ for 'embedded/openapi/spec3(\.beta\.sdk)?\.json'" "$errs" >&2 || true
  rm -f "$errs"
  for f in "${big[@]}"; do
    if [[ -s $src/$f ]]; then cp "$src/$f" "$out/$f"                     # a checkout's work tree
    elif git --git-dir="$gitdir" cat-file -e "HEAD:$f" 2>/dev/null; then  # the blob is in the repository
      git --git-dir="$gitdir" cat-file -p "HEAD:$f" > "$out/$f"
    fi
  done
  commit=$(git --git-dir="$gitdir" rev-parse --short HEAD)
else
  (cd "$src" && tar -c --exclude=.git .) | tar -x -C "$out"
  commit=unknown
fi
[[ -f $out/go.mod && -f $out/main.go ]] || { echo "$src does not look like stripe-mock (no go.mod/main.go)" >&2; exit 1; }

placeholders=()
for f in "${big[@]}"; do
  if [[ ! -s $out/$f ]]; then
    mkdir -p "$(dirname "$out/$f")"
    echo '{}' > "$out/$f"
  fi
  if [[ $(head -c 16 "$out/$f" | tr -d ' \n') == '{}' ]]; then placeholders+=("$f"); fi
done

# --- build ------------------------------------------------------------------
(cd "$out" && GOTOOLCHAIN=local GOFLAGS=-mod=vendor CGO_ENABLED=0 "$GO" build -o stripe-mock .)
"$out/stripe-mock" -version >/dev/null

echo "built $out/stripe-mock (stripe-mock $commit, $("$GO" env GOVERSION))"
if (( ${#placeholders[@]} )); then
  echo "embedded spec placeholders ({}): ${placeholders[*]}; give the spec and fixtures at run time:"
  echo "  STRIPE_MOCK=$out/stripe-mock STRIPE_MOCK_SPEC=<spec3.json> STRIPE_MOCK_FIXTURES=<fixtures3.json> npm run bench"
else
  echo "  STRIPE_MOCK=$out/stripe-mock npm run bench"
fi
echo "Run it by hand on loopback only, naming both addresses (else HTTPS listens on every interface):"
echo "  $out/stripe-mock -http-addr 127.0.0.1:12112 -https-addr 127.0.0.1:12113 [-spec <spec3.json> -fixtures <fixtures3.json>]"
echo "Keys must have exactly three _-separated parts (sk_test_123)."
