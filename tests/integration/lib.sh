# Shared by the command-line tests: run a command and check its exit
# code, look for text in its output. Each test sources this file after
# moving to its own temporary directory; failures counts what failed.
failures=0

check() { # description, expected exit code, command...
    local what=$1 want=$2
    shift 2
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"
        sed 's/^/  | /' err.txt | head -5
        failures=$((failures + 1))
    fi
}

expect_in() { # description, file, text
    if ! grep -qF -- "$3" "$2"; then
        echo "FAIL: $1: '$3' not in $2:"
        sed 's/^/  | /' "$2" | head -5
        failures=$((failures + 1))
    fi
}

expect_lines() { # description, file, count
    local got
    got=$(grep -c . "$2")
    if [ "$got" -ne "$3" ]; then
        echo "FAIL: $1: $got lines in $2, expected $3"
        sed 's/^/  | /' "$2" | head -8
        failures=$((failures + 1))
    fi
}
