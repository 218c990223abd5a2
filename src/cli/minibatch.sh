#!/bin/sh
# The `minibatch` executable (copied to dist/cli/minibatch by scripts/bundle-cli.mjs): starts Node
# on the command line's launcher, dist/cli/main.cjs, beside it.
#
# Why a shell script before Node: Node 20 reads and parses every certificate that
# NODE_EXTRA_CA_CERTS names while it starts, before any of our code runs. With a system bundle
# there (as TLS-inspecting proxies require) that is ~40 ms of every command, a fifth of a small
# run. minibatch needs those certificates only to reach a rediss:// server, so the setting is handed
# over as MINIBATCH_EXTRA_CA_CERTS: the Redis connection trusts them itself
# (src/redis/connection/connection.ts), and the Python workers get NODE_EXTRA_CA_CERTS back
# (src/workers/user-env.ts).
#
# Two settings for V8, because a run's orchestrator shares the machine with its Python workers
# (README "Performance", measured on 2 cores with 20,000 and 200,000 one-file mini-batches):
# --v8-pool-size=1: the garbage collector's and the optimizing compiler's background work runs on
#   one thread instead of Node's default four, which competed with the workers and with the main
#   thread (it paces dispatch): ~3% of the run.
# --max-inlined-bytecode-size-cumulative=300 (V8's default is 920): less inlining per optimized
#   function. Optimizing took ~150 ms of CPU in a 0.5 s run; this saves 40-60 ms of it, and long
#   runs are no slower. A run of one file costs ~10 ms more (~0.12 s in all).
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
exec node --v8-pool-size=1 --max-inlined-bytecode-size-cumulative=300 "${self%/*}/main.cjs" "$@"
