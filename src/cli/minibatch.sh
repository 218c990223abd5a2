#!/bin/sh
# The `minibatch` executable (copied to dist/cli/minibatch by scripts/bundle-cli.mjs): starts Node
# on the command line's launcher, dist/cli/main.cjs, beside it.
#
# Why a shell script before Node: Node 20 reads and parses every certificate that
# NODE_EXTRA_CA_CERTS names while it starts, before any of our code runs. With a system bundle
# there (as TLS-inspecting proxies require) that is ~40 ms of every command, a fifth of a small
# run. minibatch needs those certificates only to reach a rediss:// server, so the setting is handed
# over as MINIBATCH_EXTRA_CA_CERTS: the Redis connection trusts them itself
# (src/redis/connection.ts), and the Python workers get NODE_EXTRA_CA_CERTS back
# (src/workers/user-env.ts).
#
# --v8-pool-size=1: V8 runs the garbage collector's and the optimizing compiler's background work on
# one thread instead of Node's default four. The machine's cores are for the Python workers; on
# 2 cores, four helper threads competing with them and with the main thread (which paces dispatch)
# made a run of 20,000 one-file mini-batches ~3% slower (README "Performance").
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  MINIBATCH_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export MINIBATCH_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
# npm links the executable into a bin folder: follow the links to the folder main.cjs is in.
self=$0
case $self in */*) ;; *) self=./$self ;; esac
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=${self%/*}/$link ;;
  esac
done
exec node --v8-pool-size=1 "${self%/*}/main.cjs" "$@"
