# shellcheck shell=bash
# tests/oracle/lib.sh — helpers shared by the oracle tests (tests/oracle/*.test)
# and the command-line tests (tests/cli/*.test).  Sourced by bash, never run.
#
# Needs what 'make check' gives every test (AM_TESTS_ENVIRONMENT):
#   TESSERA        the tessera binary (or its libtool wrapper)
#   MKSKY          the tessera-mksky binary
#   PYTHON_ORACLE  the Python that has astropy and reproject (/usr/bin/python3)
#   ORACLE_DIR     absolute path of tests/oracle in the source tree
# Optional:
#   TESSERA_KEEP_TMP=1       keep the temporary directory (its path is printed)
#   TESSERA_TEST_TIMEOUT=N   seconds allowed to any one command (default 300)
#
# A missing tool or Python module is a failure (exit 1), never a skip: a
# missing dependency must not hide.

TEST_NAME=$(basename "$0" .test)
FAILURES=0
PROTECTED=()
# Commands are traced on descriptor 3 (the log), so that tracing never
# mixes with output a test captures.
exec 3>&1

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

# fail MESSAGE: fatal failure.
fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

# problem MESSAGE: record a failed check and go on with the next one.
problem() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	FAILURES=$((FAILURES + 1))
}

# finish: end of a test: exit 1 if any check failed, else 0.
finish() {
	verify_protected
	if [ "$FAILURES" -gt 0 ]; then
		fail "$FAILURES check(s) failed (see above)"
	fi
	say "all checks passed"
	exit 0
}

quote_cmd() {
	local out="" arg
	for arg in "$@"; do
		out+=" $(printf '%q' "$arg")"
	done
	printf '%s' "${out# }"
}

# status_note RC: words about an exit status that is not a plain exit.
status_note() {
	if [ "$1" -eq 124 ] && [ ${#TIMEOUT[@]} -gt 0 ]; then
		printf ' (timed out after %ss)' "$TIMEOUT_SECS"
	elif [ "$1" -gt 128 ]; then
		printf ' (killed by signal %s: a crash?)' "$(($1 - 128))"
	fi
}

# --- environment -----------------------------------------------------------

for _var in TESSERA MKSKY PYTHON_ORACLE ORACLE_DIR; do
	if [ -z "${!_var:-}" ]; then
		fail "$_var is not set: run the tests through 'make check', or set TESSERA, MKSKY, PYTHON_ORACLE and ORACLE_DIR by hand"
	fi
done
unset _var
[ -x "$TESSERA" ] || fail "TESSERA=$TESSERA is not an executable file (not built?)"
[ -x "$MKSKY" ] || fail "MKSKY=$MKSKY is not an executable file (not built?)"
[ "$PYTHON_ORACLE" != no ] ||
	fail "configure found no /usr/bin/python3 (PYTHON_ORACLE=no): the reference needs it, with astropy and reproject (Debian: apt-get install python3-reproject)"
[ -x "$PYTHON_ORACLE" ] ||
	fail "PYTHON_ORACLE=$PYTHON_ORACLE is not an executable: the reference needs /usr/bin/python3 with astropy and reproject (Debian: apt-get install python3-reproject)"
[ -f "$ORACLE_DIR/reference.py" ] || fail "ORACLE_DIR=$ORACLE_DIR does not hold reference.py"

# The Python scripts live in the source tree: leave no __pycache__ there.
export PYTHONDONTWRITEBYTECODE=1

TIMEOUT_SECS=${TESSERA_TEST_TIMEOUT:-300}
if command -v timeout >/dev/null 2>&1; then
	TIMEOUT=(timeout "$TIMEOUT_SECS")
else
	TIMEOUT=()
fi

# require_python MODULE...: fail loudly unless PYTHON_ORACLE has them.
require_python() {
	local missing
	if ! missing=$("$PYTHON_ORACLE" - "$@" 2>&1 <<'EOF'
import importlib.util
import sys

# Finding the modules is enough here (importing astropy takes a second);
# the scripts that use them say so if one is broken.
bad = [name for name in sys.argv[1:] if importlib.util.find_spec(name) is None]
if bad:
    print(", ".join(bad))
    sys.exit(1)
EOF
	); then
		fail "$PYTHON_ORACLE cannot import: ${missing:-?}. The reference implementation needs astropy and reproject (Debian: apt-get install python3-reproject); this is a failure, not a skip"
	fi
}

# --- temporary directory -----------------------------------------------------

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/tessera-$TEST_NAME.XXXXXX") ||
	fail "cannot create a temporary directory"
cleanup() {
	if [ -n "${TESSERA_KEEP_TMP:-}" ]; then
		say "temporary files kept in $TMPD"
	else
		rm -rf "$TMPD"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# --- running commands --------------------------------------------------------

# run CMD...: show the command, run it (bounded in time), return its status.
run() {
	local rc=0
	printf '+ %s\n' "$(quote_cmd "$@")" >&3
	${TIMEOUT[@]+"${TIMEOUT[@]}"} "$@" </dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '  -> exit status %s%s\n' "$rc" "$(status_note "$rc")" >&3
	fi
	return "$rc"
}

# capture LABEL CMD...: run CMD with its output in $TMPD/LABEL.stdout and
# $TMPD/LABEL.stderr; its exit status in CAPTURE_RC.
capture() {
	local label=$1
	shift
	printf '+ %s\n' "$(quote_cmd "$@")" >&3
	CAPTURE_RC=0
	${TIMEOUT[@]+"${TIMEOUT[@]}"} "$@" >"$TMPD/$label.stdout" 2>"$TMPD/$label.stderr" </dev/null ||
		CAPTURE_RC=$?
	printf '  -> exit status %s%s\n' "$CAPTURE_RC" "$(status_note "$CAPTURE_RC")" >&3
}

# must CMD...: run, and fail the whole test if the command fails.
must() {
	run "$@" || fail "command failed: $(quote_cmd "$@")"
}

# mksky OUT [OPTION...]: make a sample image or header with tessera-mksky.
mksky() {
	local out=$1
	shift
	must "$MKSKY" -o "$out" "$@"
}

# fitstool COMMAND ARG...: tests/oracle/fitstool.py (shown, bounded in time).
fitstool() {
	run "$PYTHON_ORACLE" "$ORACLE_DIR/fitstool.py" "$@"
}

# tessera_ok OUTPUT INPUT TARGET [OPTION...]: tessera reproject, which must
# succeed and write OUTPUT; records a problem and returns 1 otherwise.
tessera_ok() {
	local out=$1 input=$2 target=$3
	shift 3
	if ! run "$TESSERA" reproject "$input" -o "$out" --target "$target" "$@"; then
		problem "tessera reproject failed on $input (options: $*)"
		return 1
	fi
	if [ ! -s "$out" ]; then
		problem "tessera reproject exited 0 but wrote no $out"
		return 1
	fi
}

# checksum FILE: print a checksum of FILE's content.
checksum() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum <"$1" | cut -d' ' -f1
	else
		cksum <"$1"
	fi
}

# protect FILE...: remember the files' content; finish checks it is unchanged.
protect() {
	local file
	for file in "$@"; do
		PROTECTED+=("$file" "$(checksum "$file")")
	done
}

verify_protected() {
	local i file
	for ((i = 0; i < ${#PROTECTED[@]}; i += 2)); do
		file=${PROTECTED[i]}
		if [ ! -f "$file" ]; then
			problem "input $file has disappeared"
		elif [ "$(checksum "$file")" != "${PROTECTED[i + 1]}" ]; then
			problem "input $file was modified"
		fi
	done
}

# --- oracle comparison -------------------------------------------------------

# oracle_case LABEL METHOD INPUT TARGET [TESSERA-OPTION...] [-- COMPARE-OPTION...]
#
# Runs tessera reproject and reference.py on the same input and target and
# compares them with compare.py: --check-wcs always, and the bar of the method
# (bilinear: rel <= 1e-5; biquadratic, bicubic: rel <= 1e-4; adaptive: rel
# <= 1e-4 and NaN masks within 0.5 %; exact: rel <= 1e-5 and footprint
# fractions within 1e-4; nearest: >= 99.9 % equal) unless COMPARE-OPTIONs override it.  --size and --no-roundtrip among
# the tessera options are given to the reference and --size to compare too,
# as are the adaptive method's options that reproject_adaptive has.
# A failure is recorded (problem) and the next case can go on.
oracle_case() {
	local label=$1 method=$2 input=$3 target=$4
	shift 4
	local topts=() copts=() ropts=() sizeopt=() in_compare=0 arg i
	for arg in "$@"; do
		if [ "$in_compare" -eq 0 ] && [ "$arg" = -- ]; then
			in_compare=1
		elif [ "$in_compare" -eq 0 ]; then
			topts+=("$arg")
		else
			copts+=("$arg")
		fi
	done
	for ((i = 0; i < ${#topts[@]}; i++)); do
		case ${topts[i]} in
		--size) sizeopt=(--size "${topts[i + 1]}") ;;
		--size=*) sizeopt=(--size "${topts[i]#--size=}") ;;
		--no-roundtrip) ropts+=(--no-roundtrip) ;;
		--conserve-flux | --center-jacobian | --x-cyclic | --y-cyclic) ropts+=("${topts[i]}") ;;
		--kernel | --kernel-width | --sample-region-width | --boundary-mode | \
			--boundary-fill-value | --boundary-ignore-threshold)
			ropts+=("${topts[i]}" "${topts[i + 1]}") ;;
		esac
	done
	local bar
	case $method in
	nearest) bar=(--nearest-min-equal 0.999) ;;
	bilinear) bar=(--rtol 1e-5) ;;
	adaptive) bar=(--rtol 1e-4 --max-mask-diff 0.005) ;;
	exact) bar=(--rtol 1e-5 --footprint-atol 1e-4) ;;
	*) bar=(--rtol 1e-4) ;;
	esac

	local ours="$TMPD/$label.tessera.fits" ref="$TMPD/$label.reference.fits"
	say "case $label: $method, $(basename "$input") -> $(basename "$target")"
	tessera_ok "$ours" "$input" "$target" --method "$method" ${topts[@]+"${topts[@]}"} || return 1
	if ! run "$PYTHON_ORACLE" "$ORACLE_DIR/reference.py" "$input" "$target" "$ref" \
		--method "$method" ${sizeopt[@]+"${sizeopt[@]}"} ${ropts[@]+"${ropts[@]}"}; then
		problem "case $label: the reference implementation failed"
		return 1
	fi
	if ! run "$PYTHON_ORACLE" "$ORACLE_DIR/compare.py" "$ours" "$ref" \
		--check-wcs --target "$target" "${bar[@]}" \
		${sizeopt[@]+"${sizeopt[@]}"} ${copts[@]+"${copts[@]}"}; then
		problem "case $label: tessera differs from the reference beyond the bars"
		return 1
	fi
}

# --- command-line failure checks ---------------------------------------------

# small_inputs: IN (a 200x200 image) and TGT (a 150x150 text header that
# overlaps it), both protected (finish checks they are unchanged).
small_inputs() {
	IN=$TMPD/in.fits
	TGT=$TMPD/target.hdr
	mksky "$IN" --size 200x200 --seed 7 --nan-fraction 0
	mksky "$TGT" --header-only --size 150x150 --center 150.001,2.2005 --rotation 10
	protect "$IN" "$TGT"
}

# fresh_out: set OUT to a file name in a new, empty directory OUTDIR.
fresh_out() {
	OUTDIR=$(mktemp -d "$TMPD/out.XXXXXX") || fail "mktemp failed"
	# shellcheck disable=SC2034 # for the caller
	OUT=$OUTDIR/out.fits
}

# expect_failure LABEL CODES MENTIONS -- CMD...
#
# CMD must exit with one of CODES (e.g. "1" or "1 2"), print exactly one
# non-empty line on stderr containing one of MENTIONS ('|'-separated
# alternatives, matched as fixed strings ignoring case; empty: any), and
# leave OUTDIR (see fresh_out) empty.  Failures are recorded (problem).
expect_failure() {
	local label=$1 codes=$2 mentions=$3
	shift 3
	[ "${1:-}" = -- ] && shift
	local errf="$TMPD/$label.stderr" rc lines alt found left alts=()
	capture "$label" "$@"
	rc=$CAPTURE_RC
	sed 's/^/  stderr| /' "$errf" >&3

	case " $codes " in
	*" $rc "*) ;;
	*) problem "$label: exit status $rc$(status_note "$rc"), expected ${codes// / or }" ;;
	esac
	lines=$(grep -c '' "$errf")
	if [ "$lines" -ne 1 ] || ! grep -q '[^[:space:]]' "$errf"; then
		problem "$label: expected exactly one line on stderr, got $lines"
	fi
	if [ -n "$mentions" ]; then
		IFS='|' read -r -a alts <<<"$mentions"
		found=0
		for alt in "${alts[@]}"; do
			if grep -qiF -- "$alt" "$errf"; then
				found=1
			fi
		done
		if [ "$found" -eq 0 ]; then
			problem "$label: the message does not name ${mentions//|/ or }"
		fi
	fi
	if [ -n "${OUTDIR:-}" ] && [ -d "$OUTDIR" ]; then
		left=$(find "$OUTDIR" -mindepth 1 | sed 's|.*/||' | tr '\n' ' ')
		[ -z "$left" ] || problem "$label: files left in the output directory: $left"
	fi
}
